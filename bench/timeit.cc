// The benchmark's stopwatch, so that no shell, `date` or awk runs inside a timed interval.
//
//   bench-timeit OUT CMD ARG...   spawn CMD (posix_spawnp; stdin, stdout, stderr inherited),
//                                 wait for it, append "<wall ns> <peak RSS KiB> <status>
//                                 <minor page faults>" to OUT
//                                 ("-": stdout); exit with CMD's status (128+N if killed by N)
//   bench-timeit --stats FILE...  per FILE, of its first column (ns): n, median, p90, p99, min
//                                 and mean in microseconds, one line per file
//
// The interval starts just before the spawn and ends when wait4 returns: what a caller (an
// engine's shim, a shell) waits for. The peak RSS is the child's ru_maxrss: the largest
// resident set of any program the child was or exec'd into (oci-harden execs the runtime); the
// page faults (ru_minflt) are the child's, over all the programs it was.

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

extern char** environ;

namespace {

long long now_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

int stats(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    FILE* f = std::fopen(argv[i], "r");
    if (f == nullptr) {
      std::fprintf(stderr, "bench-timeit: %s: %s\n", argv[i], std::strerror(errno));
      return 2;
    }
    std::vector<double> us;
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      char* end = nullptr;
      double ns = std::strtod(line, &end);
      if (end != line) us.push_back(ns / 1000.0);
    }
    std::fclose(f);
    if (us.empty()) {
      std::printf("%s 0 - - - - -\n", argv[i]);
      continue;
    }
    std::sort(us.begin(), us.end());
    auto pct = [&](double p) {
      size_t k = static_cast<size_t>(p * static_cast<double>(us.size() - 1) + 0.5);
      return us[std::min(k, us.size() - 1)];
    };
    double sum = 0;
    for (double v : us) sum += v;
    // The median of an even count is the mean of the middle two.
    size_t n = us.size();
    double median = n % 2 == 1 ? us[n / 2] : (us[n / 2 - 1] + us[n / 2]) / 2.0;
    std::printf("%s %zu %.1f %.1f %.1f %.1f %.1f\n", argv[i], n, median, pct(0.90), pct(0.99),
                us.front(), sum / static_cast<double>(n));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--stats") == 0) return stats(argc, argv);
  if (argc < 3) {
    std::fprintf(stderr, "usage: bench-timeit OUT CMD [ARG...] | bench-timeit --stats FILE...\n");
    return 2;
  }
  long long t0 = now_ns();
  pid_t pid;
  int err = posix_spawnp(&pid, argv[2], nullptr, nullptr, argv + 2, environ);
  if (err != 0) {
    std::fprintf(stderr, "bench-timeit: %s: %s\n", argv[2], std::strerror(err));
    return 127;
  }
  int status = 0;
  struct rusage ru {};
  while (wait4(pid, &status, 0, &ru) < 0) {
    if (errno != EINTR) {
      std::fprintf(stderr, "bench-timeit: wait4: %s\n", std::strerror(errno));
      return 125;
    }
  }
  long long t1 = now_ns();
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  FILE* out = std::strcmp(argv[1], "-") == 0 ? stdout : std::fopen(argv[1], "a");
  if (out == nullptr) {
    std::fprintf(stderr, "bench-timeit: %s: %s\n", argv[1], std::strerror(errno));
    return 125;
  }
  std::fprintf(out, "%lld %ld %d %ld\n", t1 - t0, ru.ru_maxrss, code, ru.ru_minflt);
  if (out != stdout) std::fclose(out);
  return code;
}
