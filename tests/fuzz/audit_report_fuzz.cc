// libFuzzer target: the audit-log reader behind `oci-hardenctl report` on arbitrary bytes (a
// log line by line, or gzip data when it starts with the gzip magic), then both output
// formats. A malformed line is a warning; nothing may crash, and the totals must agree with
// the containers they are drawn from.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "shim/cli/report.hh"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The reader takes paths: hand it an anonymous in-memory file through /proc/self/fd.
  int fd = memfd_create("fuzz-audit-log", MFD_CLOEXEC);
  if (fd < 0) std::abort();
  size_t done = 0;
  while (done < size) {
    ssize_t n = write(fd, data + done, size - done);
    if (n <= 0) std::abort();
    done += static_cast<size_t>(n);
  }
  oci_harden::ReportOptions opts;
  opts.logs.push_back("/proc/self/fd/" + std::to_string(fd));
  std::vector<std::string> warnings;
  auto report = oci_harden::read_audit_logs(opts, &warnings);
  close(fd);
  if (!report) return 0;
  if (report->totals.containers != static_cast<int>(report->containers.size())) std::abort();
  (void)oci_harden::format_report_table(*report);
  (void)oci_harden::format_report_json(*report);
  // Issue 17: the Prometheus file (every sample line ends in a number) and the wide table.
  std::string prom = oci_harden::format_report_prometheus(*report);
  if (prom.empty() || prom.back() != '\n') std::abort();
  report->wide = true;
  (void)oci_harden::format_report_table(*report);
  return 0;
}
