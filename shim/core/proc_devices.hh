// /proc/devices: the majors the kernel gave each registered driver, by its name (issue 17.2,
// allowed_device_numbers' driver names: nvidia-uvm's major is handed out when it loads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace oci_harden {

constexpr size_t kMaxProcDevicesBytes = 64 << 10;

struct ProcDevice {
  char type = 'c';  // 'c' under "Character devices:", 'b' under "Block devices:"
  int64_t major = 0;
  std::string name;
};

// Every "MAJOR NAME" line of the text, typed by the section it is in; other lines are skipped.
std::vector<ProcDevice> parse_proc_devices(const std::string& text);

}  // namespace oci_harden
