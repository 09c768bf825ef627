/*
 * check_seccomp_profiles: offline checker for oci-harden's seccomp profiles.
 *
 *   cc -o /tmp/chk tests/tools/check_seccomp_profiles.c -lseccomp -lyajl
 *   /tmp/chk [--groups profiles/seccomp-capability-groups.json] PROFILE.json...
 *
 * For each OCI linux.seccomp profile (and for the capability-groups file):
 *   - strict shape check: only OCI field names (defaultAction, defaultErrnoRet,
 *     architectures, flags, listenerPath, listenerMetadata, syscalls; per entry
 *     names, action, errnoRet, args; per arg index, value, valueTwo, op);
 *   - resolves every name with libseccomp for every listed architecture;
 *     a name unknown on all of them is an error, a name absent on some is
 *     reported per architecture (runc skips those silently);
 *   - duplicate names within one action (same conditions) are errors;
 *   - runc semantics that bite: several conditions on the same argument of one
 *     entry are ORed by runc (it splits them into separate rules) -> error;
 *     an entry whose action equals the default action is dropped by runc -> warning;
 *   - builds the filter as runc does (one context, all architectures, rules
 *     added with seccomp_rule_add_array) and per architecture, and prints the
 *     BPF size in instructions (linear and binary-tree layouts).
 * With --groups, each profile is also built with every group's rules appended
 * (what oci-harden produces when every capability is kept), so conflicts
 * between a group and the profile show up here.
 * CHECK_SECCOMP_PFC=<arch> (x86_64, x86, x32, aarch64, arm) also writes that
 * architecture's filter as libseccomp pseudo-code to stderr.
 * Exit status: 0 = no error, 1 = an error (unknown name, bad field, duplicate,
 * filter that libseccomp refuses), 2 = usage or I/O error.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#define MAX_ARCHES 16
#define MAX_RULES 4096

struct arch {
  const char *oci; /* SCMP_ARCH_X86_64 */
  uint32_t token;
};

struct rule {
  const char *name;
  uint32_t action;
  const char *action_text; /* for messages */
  unsigned nargs;
  struct scmp_arg_cmp args[6];
  int same_arg_twice; /* runc would OR these */
  const char *origin; /* "profile" or the capability of a group */
};

static int g_errors, g_warnings;

#define ERR(...) (fprintf(stdout, "  ERROR: " __VA_ARGS__), fputc('\n', stdout), g_errors++)
#define WARN(...) (fprintf(stdout, "  warning: " __VA_ARGS__), fputc('\n', stdout), g_warnings++)

static const struct {
  const char *oci;
  const char *libseccomp;
} kArchNames[] = {
    {"SCMP_ARCH_X86", "x86"},         {"SCMP_ARCH_X86_64", "x86_64"},   {"SCMP_ARCH_X32", "x32"},
    {"SCMP_ARCH_ARM", "arm"},         {"SCMP_ARCH_AARCH64", "aarch64"}, {"SCMP_ARCH_MIPS", "mips"},
    {"SCMP_ARCH_MIPS64", "mips64"},   {"SCMP_ARCH_MIPS64N32", "mips64n32"},
    {"SCMP_ARCH_MIPSEL", "mipsel"},   {"SCMP_ARCH_MIPSEL64", "mipsel64"},
    {"SCMP_ARCH_MIPSEL64N32", "mipsel64n32"}, {"SCMP_ARCH_PPC", "ppc"},
    {"SCMP_ARCH_PPC64", "ppc64"},     {"SCMP_ARCH_PPC64LE", "ppc64le"}, {"SCMP_ARCH_S390", "s390"},
    {"SCMP_ARCH_S390X", "s390x"},     {"SCMP_ARCH_PARISC", "parisc"},   {"SCMP_ARCH_PARISC64", "parisc64"},
    {"SCMP_ARCH_RISCV64", "riscv64"},
};

static const char *const kDefaultArches[] = {"SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32",
                                             "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"};

/* capability names known to Linux 6.x (CAP_CHOWN .. CAP_CHECKPOINT_RESTORE) */
static const char *const kCaps[] = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
    "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
    "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *arch_short(const char *oci) {
  for (size_t i = 0; i < sizeof kArchNames / sizeof kArchNames[0]; i++)
    if (strcmp(kArchNames[i].oci, oci) == 0) return kArchNames[i].libseccomp;
  return NULL;
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return NULL;
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  size_t n;
  while ((n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
    len += n;
    if (cap - len < 2) buf = realloc(buf, cap *= 2);
  }
  fclose(f);
  buf[len] = 0;
  return buf;
}

static yajl_val parse_file(const char *path) {
  char *text = slurp(path);
  if (!text) {
    fprintf(stderr, "%s: %s\n", path, strerror(errno));
    exit(2);
  }
  char err[512];
  yajl_val v = yajl_tree_parse(text, err, sizeof err);
  free(text);
  if (!v) {
    fprintf(stderr, "%s: JSON parse error: %s\n", path, err);
    exit(2);
  }
  return v;
}

static yajl_val obj_get(yajl_val obj, const char *key) {
  if (!YAJL_IS_OBJECT(obj)) return NULL;
  for (size_t i = 0; i < obj->u.object.len; i++)
    if (strcmp(obj->u.object.keys[i], key) == 0) return obj->u.object.values[i];
  return NULL;
}

static void only_keys(yajl_val obj, const char *where, const char *const *allowed) {
  for (size_t i = 0; i < obj->u.object.len; i++) {
    int ok = 0;
    for (const char *const *a = allowed; *a; a++)
      if (strcmp(*a, obj->u.object.keys[i]) == 0) ok = 1;
    if (!ok) ERR("%s: field \"%s\" is not part of the OCI linux.seccomp schema", where, obj->u.object.keys[i]);
  }
}

/* unsigned 64-bit from a JSON number, from its text (yajl's integer is signed) */
static int get_u64(yajl_val v, uint64_t *out) {
  if (!YAJL_IS_NUMBER(v)) return -1;
  const char *t = YAJL_GET_NUMBER(v);
  if (!t || *t == '-' || strpbrk(t, ".eE")) return -1;
  errno = 0;
  char *end;
  unsigned long long x = strtoull(t, &end, 10);
  if (errno || *end) return -1;
  *out = x;
  return 0;
}

static int parse_action(const char *s, yajl_val errno_ret, uint32_t *out, int def_errno) {
  uint64_t e = (uint64_t)def_errno;
  if (errno_ret && get_u64(errno_ret, &e) != 0) return -1;
  if (!strcmp(s, "SCMP_ACT_ALLOW")) *out = SCMP_ACT_ALLOW;
  else if (!strcmp(s, "SCMP_ACT_ERRNO")) *out = SCMP_ACT_ERRNO((uint16_t)e);
  else if (!strcmp(s, "SCMP_ACT_KILL") || !strcmp(s, "SCMP_ACT_KILL_THREAD")) *out = SCMP_ACT_KILL_THREAD;
  else if (!strcmp(s, "SCMP_ACT_KILL_PROCESS")) *out = SCMP_ACT_KILL_PROCESS;
  else if (!strcmp(s, "SCMP_ACT_TRAP")) *out = SCMP_ACT_TRAP;
  else if (!strcmp(s, "SCMP_ACT_TRACE")) *out = SCMP_ACT_TRACE((uint16_t)e);
  else if (!strcmp(s, "SCMP_ACT_LOG")) *out = SCMP_ACT_LOG;
  else if (!strcmp(s, "SCMP_ACT_NOTIFY")) *out = SCMP_ACT_NOTIFY;
  else return -1;
  return 0;
}

static int parse_op(const char *s, enum scmp_compare *op) {
  static const struct { const char *n; enum scmp_compare op; } t[] = {
      {"SCMP_CMP_NE", SCMP_CMP_NE}, {"SCMP_CMP_LT", SCMP_CMP_LT}, {"SCMP_CMP_LE", SCMP_CMP_LE},
      {"SCMP_CMP_EQ", SCMP_CMP_EQ}, {"SCMP_CMP_GE", SCMP_CMP_GE}, {"SCMP_CMP_GT", SCMP_CMP_GT},
      {"SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(s, t[i].n)) { *op = t[i].op; return 0; }
  return -1;
}

/* Parses one OCI syscall entry into rules (one per name). */
static size_t parse_entry(yajl_val e, const char *where, int def_errno, const char *origin, struct rule *out,
                          size_t room) {
  static const char *const kEntryKeys[] = {"names", "action", "errnoRet", "args", NULL};
  static const char *const kArgKeys[] = {"index", "value", "valueTwo", "op", NULL};
  if (!YAJL_IS_OBJECT(e)) { ERR("%s: not an object", where); return 0; }
  only_keys(e, where, kEntryKeys);
  yajl_val names = obj_get(e, "names"), action = obj_get(e, "action"), args = obj_get(e, "args");
  if (!YAJL_IS_ARRAY(names) || names->u.array.len == 0) { ERR("%s: \"names\" must be a non-empty array", where); return 0; }
  if (!YAJL_IS_STRING(action)) { ERR("%s: \"action\" missing", where); return 0; }
  struct rule r = {0};
  r.origin = origin;
  r.action_text = YAJL_GET_STRING(action);
  yajl_val eret = obj_get(e, "errnoRet");
  if (parse_action(r.action_text, eret, &r.action, def_errno)) { ERR("%s: bad action/errnoRet", where); return 0; }
  if (eret && strcmp(r.action_text, "SCMP_ACT_ERRNO") && strcmp(r.action_text, "SCMP_ACT_TRACE"))
    ERR("%s: errnoRet given for %s", where, r.action_text);
  if (args && !YAJL_IS_ARRAY(args)) { ERR("%s: \"args\" must be an array", where); return 0; }
  unsigned seen[6] = {0};
  if (args) {
    if (args->u.array.len > 6) { ERR("%s: more than 6 args", where); return 0; }
    for (size_t i = 0; i < args->u.array.len; i++) {
      yajl_val a = args->u.array.values[i];
      if (!YAJL_IS_OBJECT(a)) { ERR("%s: args[%zu] not an object", where, i); return 0; }
      only_keys(a, where, kArgKeys);
      uint64_t idx, v = 0, v2 = 0;
      enum scmp_compare op;
      yajl_val jop = obj_get(a, "op"), jv2 = obj_get(a, "valueTwo");
      if (get_u64(obj_get(a, "index"), &idx) || idx > 5) { ERR("%s: args[%zu].index must be 0..5", where, i); return 0; }
      if (get_u64(obj_get(a, "value"), &v)) { ERR("%s: args[%zu].value must be an unsigned integer", where, i); return 0; }
      if (jv2 && get_u64(jv2, &v2)) { ERR("%s: args[%zu].valueTwo must be an unsigned integer", where, i); return 0; }
      if (!YAJL_IS_STRING(jop) || parse_op(YAJL_GET_STRING(jop), &op)) { ERR("%s: args[%zu].op invalid", where, i); return 0; }
      if (op == SCMP_CMP_MASKED_EQ && (v2 & ~v))
        WARN("%s: MASKED_EQ valueTwo 0x%llx has bits outside the mask (value) 0x%llx: it never matches "
             "(OCI: value = mask, valueTwo = datum)", where, (unsigned long long)v2, (unsigned long long)v);
      if (seen[idx]++) r.same_arg_twice = 1;
      r.args[r.nargs].arg = (unsigned)idx;
      r.args[r.nargs].op = op;
      r.args[r.nargs].datum_a = v; /* runc: MakeCondition(index, op, value, valueTwo) */
      r.args[r.nargs].datum_b = v2;
      r.nargs++;
    }
  }
  if (r.same_arg_twice)
    ERR("%s: several conditions on the same argument: runc adds each as a separate rule, so they are ORed, "
        "not ANDed", where);
  size_t n = 0;
  for (size_t i = 0; i < names->u.array.len; i++) {
    yajl_val nm = names->u.array.values[i];
    if (!YAJL_IS_STRING(nm) || !*YAJL_GET_STRING(nm)) { ERR("%s: names[%zu] is not a name", where, i); continue; }
    if (n >= room) { ERR("too many rules"); break; }
    out[n] = r;
    out[n].name = YAJL_GET_STRING(nm);
    n++;
  }
  return n;
}

static int same_args(const struct rule *a, const struct rule *b) {
  if (a->nargs != b->nargs) return 0;
  for (unsigned i = 0; i < a->nargs; i++)
    if (a->args[i].arg != b->args[i].arg || a->args[i].op != b->args[i].op ||
        a->args[i].datum_a != b->args[i].datum_a || a->args[i].datum_b != b->args[i].datum_b)
      return 0;
  return 1;
}

/* def: the profile's default action; rules with it are dropped by runc, so
 * they cannot conflict (they are warned about when the filter is built). */
static void check_duplicates(const struct rule *r, size_t n, uint32_t def) {
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++) {
      if (strcmp(r[i].name, r[j].name)) continue;
      if ((r[i].action == def || r[j].action == def) && r[i].action != r[j].action) continue;
      /* two capability groups may grant the same call (bpf: CAP_BPF or CAP_SYS_ADMIN): by design */
      if (strcmp(r[i].origin, r[j].origin) && strcmp(r[i].origin, "profile") && strcmp(r[j].origin, "profile") &&
          r[i].action == r[j].action)
        continue;
      if (r[i].action == r[j].action) {
        if (same_args(&r[i], &r[j]))
          ERR("duplicate: \"%s\" listed twice for %s%s (%s, %s)", r[i].name, r[i].action_text,
              r[i].nargs ? " with the same conditions" : "", r[i].origin, r[j].origin);
        else if (!r[i].nargs || !r[j].nargs)
          WARN("\"%s\": an unconditional %s makes the conditional one redundant (%s, %s)", r[i].name,
               r[i].action_text, r[i].origin, r[j].origin);
      } else if (same_args(&r[i], &r[j])) {
        ERR("conflict: \"%s\" has two actions (%s, %s) for the same conditions (%s, %s)", r[i].name,
            r[i].action_text, r[j].action_text, r[i].origin, r[j].origin);
      } else if (!r[i].nargs || !r[j].nargs) {
        ERR("conflict: \"%s\" has an unconditional %s and a conditional %s: libseccomp refuses that (EEXIST) "
            "(%s, %s)", r[i].name, r[i].nargs ? r[j].action_text : r[i].action_text,
            r[i].nargs ? r[i].action_text : r[j].action_text, r[i].origin, r[j].origin);
      }
    }
}

/* kind of a name on one architecture */
enum kind { K_NATIVE, K_MULTIPLEXED, K_ABSENT, K_UNKNOWN };
static enum kind classify_arch(uint32_t arch, int nr) {
  if (nr >= 0) return K_NATIVE;
  if (nr == __NR_SCMP_ERROR) return K_UNKNOWN;
  /* libseccomp's pseudo-numbers: -1xx socketcall sub-calls, -2xx ipc sub-calls,
   * <= -10000 a name that exists but not on this architecture */
  if (nr > -200 && seccomp_syscall_resolve_name_arch(arch, "socketcall") >= 0) return K_MULTIPLEXED;
  if (nr > -300 && nr <= -200 && seccomp_syscall_resolve_name_arch(arch, "ipc") >= 0) return K_MULTIPLEXED;
  return K_ABSENT;
}

static void check_names(const struct rule *r, size_t n, const struct arch *arches, size_t na) {
  /* distinct names */
  const char **names = calloc(n, sizeof *names);
  size_t nn = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k;
    for (k = 0; k < nn; k++)
      if (!strcmp(names[k], r[i].name)) break;
    if (k == nn) names[nn++] = r[i].name;
  }
  printf("  distinct names: %zu\n", nn);
  for (size_t k = 0; k < nn; k++) {
    int anywhere = 0;
    for (size_t a = 0; a < na; a++)
      if (classify_arch(arches[a].token, seccomp_syscall_resolve_name_arch(arches[a].token, names[k])) <= K_MULTIPLEXED) anywhere = 1;
    if (!anywhere) {
      int known = seccomp_syscall_resolve_name(names[k]) != __NR_SCMP_ERROR;
      ERR("\"%s\" is %s on every listed architecture", names[k], known ? "absent" : "an unknown syscall name");
    }
  }
  for (size_t a = 0; a < na; a++) {
    int first = 1, nmux = 0, nnative = 0;
    for (size_t k = 0; k < nn; k++) {
      enum kind kd = classify_arch(arches[a].token, seccomp_syscall_resolve_name_arch(arches[a].token, names[k]));
      if (kd == K_NATIVE) nnative++;
      if (kd == K_MULTIPLEXED) nmux++;
      if (kd != K_ABSENT) continue;
      if (first) printf("  %-17s absent (skipped by runc):", arches[a].oci);
      printf(" %s", names[k]);
      first = 0;
    }
    if (!first) printf("\n");
    printf("  %-17s %d names resolve to syscalls%s", arches[a].oci, nnative, nmux ? "" : "\n");
    if (nmux) printf(", %d more through socketcall/ipc\n", nmux);
  }
  free(names);
}

/* Count BPF instructions the filter exports to. */
static long bpf_insns(scmp_filter_ctx ctx) {
  int fd = memfd_create("bpf", MFD_CLOEXEC);
  if (fd < 0) return -1;
  int rc = seccomp_export_bpf(ctx, fd);
  struct stat st;
  long n = (rc == 0 && fstat(fd, &st) == 0) ? (long)(st.st_size / 8) : -1;
  close(fd);
  return n;
}

/* Build as runc does: one context, rules added per name with the number
 * resolved for the native architecture (libseccomp translates it, or the
 * pseudo-number of a name the native architecture lacks, to every
 * architecture in the context), rules whose action equals the default
 * dropped. runc keeps the native architecture in the filter; for a
 * one-architecture build (only_arch) it is removed. */
static scmp_filter_ctx build(uint32_t def, const struct arch *arches, size_t na, const struct rule *r, size_t n,
                             int optimize, int report, int only_arch) {
  scmp_filter_ctx ctx = seccomp_init(def);
  if (!ctx) { ERR("seccomp_init failed"); return NULL; }
  int has_native = 0;
  for (size_t a = 0; a < na; a++) {
    if (arches[a].token == seccomp_arch_native()) has_native = 1;
    int rc = seccomp_arch_add(ctx, arches[a].token);
    if (rc && rc != -EEXIST) { ERR("seccomp_arch_add(%s): %s", arches[a].oci, strerror(-rc)); seccomp_release(ctx); return NULL; }
  }
  if (only_arch && !has_native) seccomp_arch_remove(ctx, SCMP_ARCH_NATIVE);
  if (optimize) seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
  for (size_t i = 0; i < n; i++) {
    if (r[i].action == def) {
      if (report) WARN("\"%s\" (%s): action equals the default action; runc drops this rule", r[i].name, r[i].origin);
      continue;
    }
    int nr = seccomp_syscall_resolve_name(r[i].name);
    if (nr == __NR_SCMP_ERROR) continue; /* reported by check_names; runc skips it */
    /* runc: conditions that share an argument become one rule each (ORed) */
    unsigned groups = r[i].same_arg_twice ? r[i].nargs : 1;
    for (unsigned g = 0; g < groups; g++) {
      int rc = r[i].same_arg_twice ? seccomp_rule_add_array(ctx, r[i].action, nr, 1, &r[i].args[g])
                                   : seccomp_rule_add_array(ctx, r[i].action, nr, r[i].nargs, r[i].args);
      if (rc && report)
        ERR("seccomp_rule_add(\"%s\", %s, %u conditions) (%s): %s", r[i].name, r[i].action_text, r[i].nargs,
            r[i].origin, strerror(-rc));
    }
  }
  return ctx;
}

static void report_sizes(const char *label, uint32_t def, const struct arch *arches, size_t na, const struct rule *r,
                         size_t n) {
  int report = 1;
  for (int opt = 0; opt <= 1; opt++) {
    scmp_filter_ctx all = build(def, arches, na, r, n, opt, report, 0);
    report = 0;
    if (!all) return;
    printf("  %s BPF insns, %s: all arches in one filter %ld;", label,
           opt ? "binary tree (runc >= 1.1 for > 32 rules)" : "linear", bpf_insns(all));
    seccomp_release(all);
    for (size_t a = 0; a < na; a++) {
      scmp_filter_ctx ctx = build(def, &arches[a], 1, r, n, opt, 0, 1);
      if (!ctx) continue;
      const char *shrt = arch_short(arches[a].oci) ? arch_short(arches[a].oci) : arches[a].oci;
      printf(" %s %ld", shrt, bpf_insns(ctx));
      const char *pfc = getenv("CHECK_SECCOMP_PFC"); /* e.g. CHECK_SECCOMP_PFC=x86: readable filter on stderr */
      if (!opt && pfc && !strcmp(pfc, shrt)) {
        fflush(stdout);
        seccomp_export_pfc(ctx, 2);
      }
      seccomp_release(ctx);
    }
    printf("\n");
  }
}

static size_t parse_groups(const char *path, struct rule *out, size_t room, int verbose) {
  yajl_val root = parse_file(path);
  static const char *const kTop[] = {"groups", NULL};
  static const char *const kGroup[] = {"capability", "syscalls", NULL};
  if (verbose) printf("%s (capability groups)\n", path);
  only_keys(root, path, kTop);
  yajl_val groups = obj_get(root, "groups");
  if (!YAJL_IS_ARRAY(groups)) { ERR("%s: \"groups\" must be an array", path); return 0; }
  size_t n = 0;
  for (size_t g = 0; g < groups->u.array.len; g++) {
    yajl_val grp = groups->u.array.values[g];
    char where[256];
    snprintf(where, sizeof where, "groups[%zu]", g);
    if (!YAJL_IS_OBJECT(grp)) { ERR("%s: not an object", where); continue; }
    only_keys(grp, where, kGroup);
    yajl_val cap = obj_get(grp, "capability"), sc = obj_get(grp, "syscalls");
    const char *capname = YAJL_IS_STRING(cap) ? YAJL_GET_STRING(cap) : NULL;
    if (!capname) { ERR("%s: \"capability\" missing", where); continue; }
    int known = 0;
    for (size_t c = 0; c < sizeof kCaps / sizeof kCaps[0]; c++)
      if (!strcmp(kCaps[c], capname)) known = 1;
    if (!known) ERR("%s: unknown capability %s", where, YAJL_GET_STRING(cap));
    if (!YAJL_IS_ARRAY(sc)) { ERR("%s: \"syscalls\" must be an array", where); continue; }
    size_t before = n;
    for (size_t i = 0; i < sc->u.array.len; i++) {
      char w2[300];
      snprintf(w2, sizeof w2, "%s (%s).syscalls[%zu]", where, YAJL_GET_STRING(cap), i);
      n += parse_entry(sc->u.array.values[i], w2, 1, YAJL_GET_STRING(cap), out + n, room - n);
    }
    if (verbose) {
      printf("  %-22s", YAJL_GET_STRING(cap));
      for (size_t i = before; i < n; i++) printf(" %s%s", out[i].name, out[i].nargs ? "(args)" : "");
      printf("\n");
    }
  }
  /* root is leaked on purpose: rules point into it */
  return n;
}

static void check_profile(const char *path, const char *groups_path) {
  static const char *const kTop[] = {"defaultAction", "defaultErrnoRet", "architectures", "flags",
                                     "listenerPath", "listenerMetadata", "syscalls", NULL};
  yajl_val root = parse_file(path);
  printf("%s\n", path);
  if (!YAJL_IS_OBJECT(root)) { ERR("not a JSON object"); return; }
  only_keys(root, "profile", kTop);
  yajl_val jdef = obj_get(root, "defaultAction"), jret = obj_get(root, "defaultErrnoRet");
  uint64_t def_errno = EPERM; /* runc's default for SCMP_ACT_ERRNO without errnoRet */
  if (jret && get_u64(jret, &def_errno)) ERR("defaultErrnoRet must be an unsigned integer");
  uint32_t def;
  if (!YAJL_IS_STRING(jdef) || parse_action(YAJL_GET_STRING(jdef), jret, &def, EPERM)) {
    ERR("defaultAction missing or invalid");
    return;
  }
  struct arch arches[MAX_ARCHES];
  size_t na = 0;
  yajl_val jarch = obj_get(root, "architectures");
  if (!YAJL_IS_ARRAY(jarch) || jarch->u.array.len == 0) {
    WARN("no \"architectures\": runc filters only the native one");
    arches[na].oci = "SCMP_ARCH_NATIVE";
    arches[na++].token = seccomp_arch_native();
  } else {
    for (size_t i = 0; i < jarch->u.array.len && na < MAX_ARCHES; i++) {
      const char *s = YAJL_GET_STRING(jarch->u.array.values[i]);
      const char *shrt = s ? arch_short(s) : NULL;
      uint32_t tok = shrt ? seccomp_arch_resolve_name(shrt) : 0;
      if (!tok) { ERR("architecture %s unknown", s ? s : "(not a string)"); continue; }
      arches[na].oci = s;
      arches[na++].token = tok;
    }
  }
  yajl_val sc = obj_get(root, "syscalls");
  if (!YAJL_IS_ARRAY(sc)) { ERR("\"syscalls\" must be an array"); return; }
  static struct rule rules[MAX_RULES];
  size_t n = 0;
  for (size_t i = 0; i < sc->u.array.len; i++) {
    char where[64];
    snprintf(where, sizeof where, "syscalls[%zu]", i);
    n += parse_entry(sc->u.array.values[i], where, (int)def_errno, "profile", rules + n, MAX_RULES - n);
  }
  size_t allowed = 0, uncond = 0;
  for (size_t i = 0; i < n; i++) {
    if (rules[i].action != SCMP_ACT_ALLOW) continue;
    int dup = 0;
    for (size_t j = 0; j < i; j++)
      if (rules[j].action == SCMP_ACT_ALLOW && !strcmp(rules[j].name, rules[i].name)) dup = 1;
    if (!dup) { allowed++; if (!rules[i].nargs) uncond++; }
  }
  printf("  rules: %zu (entries %zu); names allowed: %zu (%zu unconditionally, %zu only with argument "
         "conditions)\n", n, sc->u.array.len, allowed, uncond, allowed - uncond);
  for (size_t i = 0; i < n; i++)
    if (rules[i].action != SCMP_ACT_ALLOW)
      printf("  non-allow rule: %s -> %s%s\n", rules[i].name, rules[i].action_text,
             rules[i].action == def ? " (= default)" : "");
  check_duplicates(rules, n, def);
  check_names(rules, n, arches, na);
  report_sizes("profile", def, arches, na, rules, n);
  if (groups_path) {
    size_t ng = parse_groups(groups_path, rules + n, MAX_RULES - n, 0);
    printf("  + every capability group of %s (%zu rules):\n", groups_path, ng);
    check_duplicates(rules, n + ng, def);
    check_names(rules + n, ng, arches, na);
    report_sizes("profile+groups", def, arches, na, rules, n + ng);
  }
}

int main(int argc, char **argv) {
  const char *groups = NULL;
  int first = 1;
  if (argc > 2 && !strcmp(argv[1], "--groups")) {
    groups = argv[2];
    first = 3;
  }
  if (first >= argc && !groups) {
    fprintf(stderr, "usage: %s [--groups GROUPS.json] PROFILE.json...\n", argv[0]);
    return 2;
  }
  const struct scmp_version *v = seccomp_version();
  printf("libseccomp %u.%u.%u, native arch token 0x%x\n", v->major, v->minor, v->micro, seccomp_arch_native());
  if (groups) {
    static struct rule grules[MAX_RULES];
    struct arch arches[5];
    for (int i = 0; i < 5; i++) {
      arches[i].oci = kDefaultArches[i];
      arches[i].token = seccomp_arch_resolve_name(arch_short(kDefaultArches[i]));
    }
    size_t n = parse_groups(groups, grules, MAX_RULES, 1);
    check_duplicates(grules, n, SCMP_ACT_ERRNO(EPERM));
    check_names(grules, n, arches, 5);
  }
  for (int i = first; i < argc; i++) check_profile(argv[i], groups);
  printf("%d error(s), %d warning(s)\n", g_errors, g_warnings);
  return g_errors ? 1 : 0;
}
