// /proc/devices: the majors the kernel gave each registered driver, by its name (issue 17.2,
// allowed_device_numbers' driver names: nvidia-uvm's major is handed out when it loads).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace oci_harden {

constexpr size_t kMaxProcDevicesBytes = 64 << 10;

struct ProcDevice {
  char type = 'c';  // 'c' under "Character devices:", 'b' under "Block devices:"
  int64_t major = 0;
  // cppcheck-suppress unusedStructMember ; read by driver_major_in (proc_devices.cc)
  std::string name;
};

// Every "MAJOR NAME" line of the text, typed by the section it is in; other lines are skipped.
std::vector<ProcDevice> parse_proc_devices(const std::string& text);

// The major of the driver `name` for devices of `type` in a parsed /proc/devices; nullopt when
// it is not registered.
std::optional<int64_t> driver_major_in(const std::vector<ProcDevice>& devices, char type,
                                       const std::string& name);

}  // namespace oci_harden
