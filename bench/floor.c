/* The I/O floor of a hardening wrapper (issue 14.1): what any wrapper that rewrites config.json
 * durably and records the decision must do, and nothing more, to compare `oci-harden create`
 * against.
 *
 *   floor [runc global flags] COMMAND [--bundle DIR | -b DIR] ... ID
 *
 * reads DIR/config.json (default: the working directory's), writes it unchanged to a temporary
 * file beside it, fsync()s it, rename()s it over config.json, appends one line to the log
 * $FLOOR_LOG (O_APPEND, under flock(LOCK_EX) as oci-harden's audit log, then fdatasync()), and
 * execs $FLOOR_RUNTIME with the same arguments. No JSON parsing, no policy, no rules: the
 * difference to oci-harden create is what the hardening and the C++ binary cost.
 * Built by bench/run.sh with `cc -O2` (a small dynamic C binary, as a minimal wrapper would be). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int die(const char *what) {
  fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
  return 5;
}

int main(int argc, char **argv) {
  const char *runtime = getenv("FLOOR_RUNTIME");
  const char *log = getenv("FLOOR_LOG");
  const char *bundle = ".";
  if (runtime == NULL || log == NULL) {
    fprintf(stderr, "floor: FLOOR_RUNTIME and FLOOR_LOG must be set\n");
    return 2;
  }
  for (int i = 1; i + 1 < argc; ++i) {
    if (strcmp(argv[i], "--bundle") == 0 || strcmp(argv[i], "-b") == 0) bundle = argv[i + 1];
  }
  char path[4096], tmp[4096];
  snprintf(path, sizeof path, "%s/config.json", bundle);
  snprintf(tmp, sizeof tmp, "%s/.config.json.floor-%d", bundle, (int)getpid());

  int in = open(path, O_RDONLY | O_CLOEXEC);
  if (in < 0) return die(path);
  struct stat st;
  if (fstat(in, &st) != 0) return die("fstat");
  char *buf = malloc((size_t)st.st_size + 1);
  if (buf == NULL) return die("malloc");
  size_t have = 0;
  while (have < (size_t)st.st_size) {
    ssize_t n = read(in, buf + have, (size_t)st.st_size - have);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    have += (size_t)n;
  }
  close(in);

  int out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (out < 0) return die(tmp);
  for (size_t done = 0; done < have;) {
    ssize_t n = write(out, buf + done, have - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return die("write");
    done += (size_t)n;
  }
  if (fsync(out) != 0) return die("fsync");
  close(out);
  if (rename(tmp, path) != 0) return die("rename");
  free(buf);

  int lf = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (lf < 0) return die(log);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  char line[256];
  int len = snprintf(line, sizeof line, "{\"time\":%lld.%09ld,\"event\":\"%s\",\"bundle\":\"%.100s\"}\n",
                     (long long)ts.tv_sec, ts.tv_nsec, argc > 1 ? "create" : "", bundle);
  if (flock(lf, LOCK_EX) != 0) return die("flock");
  if (write(lf, line, (size_t)len) != len) return die("append");
  if (fdatasync(lf) != 0) return die("fdatasync");
  close(lf);

  argv[0] = (char *)runtime;
  execv(runtime, argv);
  return die(runtime);
}
