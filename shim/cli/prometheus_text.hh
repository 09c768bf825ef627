// Prometheus text exposition, shared by `oci-hardenctl report --format prometheus` and its
// per-workload section.
#pragma once

#include <string>

namespace oci_harden {

// A label value: \\, \" and newline escaped.
std::string prometheus_label(const std::string& v);

}  // namespace oci_harden
