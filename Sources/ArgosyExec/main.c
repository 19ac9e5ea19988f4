/*
 * argosy-exec: the step supervisor of Argosy's local runtime, the local counterpart
 * of Argo's pod + wait container.
 *
 *   argosy-exec --dir STEPDIR [--name NAME] [--sync-dir] [--sandbox] [--workdir DIR]
 *               [--bind SRC:DST[:ro]]... [--tmpfs DST]... [--output NAME=PATH]... [--stdin FILE]
 *               -- PROGRAM [ARGS...]
 *
 * It records its pid in STEPDIR/status, sets up the sandbox, starts the step (leader
 * of its own process group) and records the step's pid, pumps the step's stdout/stderr
 * into STEPDIR/log and STEPDIR/stdout (each made when the first byte for it arrives),
 * forwards SIGTERM/SIGINT/SIGHUP to the step's group, ends whatever the step left
 * running when its main process exits (as a pod does), copies output files from the
 * step's view, and appends the exit record to STEPDIR/status last and durably, so that
 * a restarted controller can re-attach through STEPDIR/status alone.
 *
 * With --name NAME, the steps of a workflow share STEPDIR: this step's files are
 * NAME.log, NAME.stdout and NAME.outputs/, and its lines in the shared STEPDIR/status
 * start with "NAME ". A step that prints nothing then makes no file at all: creating
 * files is a good share of a short step's cost. --sync-dir: STEPDIR itself is new (the
 * controller made it and the status file for this step): it is fsynced too, after the
 * exit record, so that the record's file is known to survive a crash.
 *
 * Everything under STEPDIR is written relative to a directory fd opened first: the
 * sandbox may hide STEPDIR's path (STEPDIR under /tmp, /tmp replaced by a tmpfs).
 */
#define _GNU_SOURCE
#include "include/argosy_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char usage_text[] =
    "usage: argosy-exec --dir STEPDIR [--name NAME] [--sync-dir] [--sandbox] [--workdir DIR] [--hide DIR]...\n"
    "                   [--bind SRC:DST[:ro]]... [--tmpfs DST]... [--output NAME=PATH]... [--stdin FILE]\n"
    "                   -- PROGRAM [ARGS...]\n"
    "       argosy-exec --serve [--hide DIR]...\n";

/* --serve --hide DIR...: directories every sandboxed supervisor of this server hides (its spares too). */
static const char **serve_hide;
static size_t serve_nhide;

/*
 * This process's pid as the host sees it (what the status file records), and whether it is the first process
 * of a pid namespace made for it: a sandboxed supervisor forked by --serve is (fork_supervisor), and then its
 * step is pid 2 there and its /proc the namespace's own. A one-off supervisor (or one that could not get a pid
 * namespace, unprivileged) gives its step a namespace through an init of its own instead (run_init).
 */
static pid_t host_pid;
static bool pid_ns_leader;

/*
 * Once the step's main process exited, its process group and its orphans are killed
 * and the pipes are drained until EOF. Only a process we cannot reach (one the pipe
 * was passed to, or any orphan when /proc is missing) could hold them open longer:
 * stop reading after this grace period rather than wait for it forever.
 */
#define AX_DRAIN_GRACE_MS 500

/* What the child reports through its close-on-exec pipe when the step cannot start. */
enum child_stage { STAGE_SETUP = 1, STAGE_WORKDIR, STAGE_EXEC, STAGE_INTERPRETER, STAGE_PROC };
struct child_report {
    int stage;
    int err; /* errno */
};

struct supervisor {
    struct ax_options opt;
    int dirfd; /* STEPDIR */
    int sigfd; /* signalfd: SIGCHLD, SIGTERM, SIGINT, SIGHUP */
    int stdin_fd; /* the step's stdin */
    int status_fd; /* STEPDIR/status (see ax_append_line) */
    int done_fd; /* under --serve: closed once the exit record is written (the controller polls the other end) */
    char status_prefix[NAME_MAX + 2]; /* "NAME " with --name, else "" */
    bool made_files; /* log, stdout or outputs/ were made: their entries need an fsync of STEPDIR */
    int log_fd, stdout_fd; /* STEPDIR/log, STEPDIR/stdout; -1 until the step writes */
    int out_r, err_r; /* read ends of the step's stdout/stderr pipes; -1 at EOF */
    pid_t pid; /* the step (with --sandbox: the init of its pid namespace, whose group it shares); 0 before */
    int *init_report; /* with --sandbox: shared with that init, which puts the step's wait status here */
    bool exited; /* the step exited (a zombie until reaped) */
    struct timespec drain_deadline; /* valid when has_deadline */
    bool has_deadline;
    bool started; /* exec succeeded: outputs are worth copying */
    bool log_failed; /* a write to log/stdout failed (reported once) */
    int exit_code;
    int signal;
    char error[AX_ERR_MAX]; /* "" or why the supervisor could not run the step */
    char program[PATH_MAX]; /* "" or where the PATH search will find argv[0] (ax_sandbox_find_program) */
};

/* One buffer for the log pump; the supervisor is single-threaded. */
static char pump_buf[1 << 16];

static void warn_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warn_msg(const char *fmt, ...)
{
    char msg[AX_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    /* Diagnostics only: nothing useful to do if stderr is gone. */
    (void)fprintf(stderr, "argosy-exec: %s\n", msg);
}

/* Record that the step could not be run (the first failure wins). */
static void fail(struct supervisor *s, int exit_code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct supervisor *s, int exit_code, const char *fmt, ...)
{
    if (s->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(s->error, sizeof s->error, fmt, ap);
    va_end(ap);
    s->exit_code = exit_code;
}

/* ------------------------------------------------------------------------- */
/* Command line                                                               */

/* Value of option `name` at argv[*i] ("--name VALUE" or "--name=VALUE"), or NULL. */
static const char *option_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (strncmp(arg, name, n) != 0)
        return NULL;
    if (arg[n] == '=')
        return arg + n + 1;
    if (arg[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

/* SRC:DST[:ro|:rw]; the first ':' separates SRC from DST. */
static int parse_bind(const char *arg, struct ax_bind *b, char *err, size_t errlen)
{
    const char *colon = strchr(arg, ':');
    if (!colon || colon == arg) {
        ax_errf(err, errlen, "--bind %s: expected SRC:DST[:ro]", arg);
        return -1;
    }
    const char *dst = colon + 1;
    size_t dst_len = strlen(dst);
    b->ro = false;
    const char *mode = dst_len >= 3 ? dst + dst_len - 3 : "";
    if (strcmp(mode, ":ro") == 0 || strcmp(mode, ":rw") == 0) {
        b->ro = dst[dst_len - 1] == 'o';
        dst_len -= 3;
    }
    if (dst_len == 0 || dst[0] != '/') {
        ax_errf(err, errlen, "--bind %s: DST must be an absolute path", arg);
        return -1;
    }
    b->src = strndup(arg, (size_t)(colon - arg));
    b->dst = strndup(dst, dst_len);
    b->src_fd = -1;
    if (!b->src || !b->dst) {
        ax_errf(err, errlen, "--bind %s: out of memory", arg);
        return -1;
    }
    return 0;
}

/* NAME=PATH; NAME becomes a file name under STEPDIR/outputs. */
static int parse_output(const char *arg, struct ax_output *o, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || eq[1] == '\0') {
        ax_errf(err, errlen, "--output %s: expected NAME=PATH", arg);
        return -1;
    }
    size_t n = (size_t)(eq - arg);
    if (memchr(arg, '/', n) || n > NAME_MAX || (n == 1 && arg[0] == '.') ||
        (n == 2 && arg[0] == '.' && arg[1] == '.')) {
        ax_errf(err, errlen, "--output %s: NAME must be a plain file name", arg);
        return -1;
    }
    /* NAME is copied (argv stays intact for ps); PATH points into argv. */
    o->name = strndup(arg, n);
    o->path = eq + 1;
    if (!o->name) {
        ax_errf(err, errlen, "--output %s: out of memory", arg);
        return -1;
    }
    return 0;
}

/*
 * Parse the command line into opt. On error, fill err and return -1, but keep
 * looking for --dir so that the failure can still be recorded in STEPDIR/status.
 */
static int parse_args(int argc, char **argv, struct ax_options *opt, char *err, size_t errlen)
{
    size_t cap = argc > 0 ? (size_t)argc : 1; /* no list can be longer than argv */
    opt->binds = calloc(cap, sizeof *opt->binds);
    opt->tmpfs = calloc(cap, sizeof *opt->tmpfs);
    opt->outputs = calloc(cap, sizeof *opt->outputs);
    opt->hide = calloc(cap + serve_nhide, sizeof *opt->hide); /* room for the server's too (add_server_hides) */
    if (!opt->binds || !opt->tmpfs || !opt->outputs || !opt->hide) {
        ax_errf(err, errlen, "out of memory");
        return -1;
    }
    int rc = 0;
    char msg[AX_ERR_MAX] = "";
    int i;
    for (i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        bool missing = false;
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        } else if (strcmp(arg, "--sandbox") == 0) {
            opt->sandbox = true;
        } else if (strcmp(arg, "--sync-dir") == 0) {
            opt->sync_dir = true;
        } else if ((v = option_value(argc, argv, &i, "--dir", &missing))) {
            opt->dir = v;
        } else if ((v = option_value(argc, argv, &i, "--name", &missing))) {
            if (v[0] == '\0' || v[0] == '.' || strchr(v, '/') || strlen(v) > NAME_MAX - 16)
                ax_errf(msg, sizeof msg, "--name %s: must be a plain file name", v);
            else
                opt->name = v;
        } else if ((v = option_value(argc, argv, &i, "--workdir", &missing))) {
            opt->workdir = v;
        } else if ((v = option_value(argc, argv, &i, "--stdin", &missing))) {
            opt->stdin_path = v;
        } else if ((v = option_value(argc, argv, &i, "--tmpfs", &missing))) {
            if (v[0] != '/')
                ax_errf(msg, sizeof msg, "--tmpfs %s: must be an absolute path", v);
            else
                opt->tmpfs[opt->ntmpfs++] = v;
        } else if ((v = option_value(argc, argv, &i, "--hide", &missing))) {
            if (v[0] != '/' || strcmp(v, "/") == 0)
                ax_errf(msg, sizeof msg, "--hide %s: must be an absolute path other than /", v);
            else
                opt->hide[opt->nhide++] = v;
        } else if ((v = option_value(argc, argv, &i, "--bind", &missing))) {
            if (parse_bind(v, &opt->binds[opt->nbinds], msg, sizeof msg) == 0)
                opt->nbinds++;
        } else if ((v = option_value(argc, argv, &i, "--output", &missing))) {
            if (parse_output(v, &opt->outputs[opt->noutputs], msg, sizeof msg) == 0)
                opt->noutputs++;
        } else if (missing) {
            ax_errf(msg, sizeof msg, "%s: missing value", arg);
        } else {
            ax_errf(msg, sizeof msg, "unknown option %s (PROGRAM must follow --)", arg);
        }
        if (msg[0] && rc == 0) {
            ax_errf(err, errlen, "%s", msg);
            rc = -1;
        }
        msg[0] = '\0';
    }
    if (rc == 0 && !opt->dir) {
        ax_errf(err, errlen, "missing --dir STEPDIR");
        rc = -1;
    }
    if (rc == 0 && i >= argc) {
        ax_errf(err, errlen, "missing -- PROGRAM [ARGS...]");
        rc = -1;
    }
    opt->argv = i < argc ? argv + i : NULL;
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Start-up                                                                   */

/*
 * Make sure fds 0-2 are open, so that no fd we open lands there: dup2(fd, fd) would
 * then silently keep close-on-exec and the step would start without stdin/stdout.
 */
static int ensure_std_fds(void)
{
    for (int fd = 0; fd <= 2; fd++) {
        if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
            continue;
        int nfd = open("/dev/null", O_RDWR);
        if (nfd < 0)
            return -1;
        if (nfd != fd) { /* cannot happen: open returns the lowest free fd */
            (void)close(nfd);
            errno = EBADF;
            return -1;
        }
    }
    return 0;
}

/*
 * Receive SIGCHLD/SIGTERM/SIGINT/SIGHUP through a signalfd: blocked, so they queue
 * instead of interrupting us. They must not be ignored (a SIG_IGN inherited from the
 * caller, e.g. SIGINT for a background job of a shell, would discard them; SIGCHLD
 * ignored would even auto-reap the step), so their disposition is reset to default.
 */
static int setup_signals(struct supervisor *s)
{
    static const int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP};
    sigset_t set;
    if (sigemptyset(&set) < 0)
        return -1;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaddset(&set, sigs[i]) < 0)
            return -1;
    if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
        return -1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) < 0)
            return -1;
    /* Writing to a closed stderr must not kill the supervisor (the step resets it). */
    sa.sa_handler = SIG_IGN;
    if (sigaction(SIGPIPE, &sa, NULL) < 0)
        return -1;
    s->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    return s->sigfd < 0 ? -1 : 0;
}

/* Open everything the step needs before the sandbox may hide the caller's paths (a spare's is built). */
static int prepare_step(struct supervisor *s, bool view_built)
{
    const char *in = s->opt.stdin_path ? s->opt.stdin_path : "/dev/null";
    if (s->stdin_fd < 0)
        s->stdin_fd = open(in, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (s->stdin_fd < 0) {
        fail(s, AX_EXIT_SUPERVISOR, "stdin: %s: %s", in, strerror(errno));
        return -1;
    }
    if (s->opt.sandbox && !view_built) {
        char err[AX_ERR_MAX];
        if (ax_sandbox_setup(&s->opt, err, sizeof err) < 0) {
            fail(s, AX_EXIT_SUPERVISOR, "%s", err);
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The step process (between clone and exec)                                  */

/*
 * The kernel's struct sigaction, used through the raw system call: glibc's sigaction and
 * sigaddset refuse the signals it reserves (32 and 33), which a parent may still have
 * left ignored for us.
 */
struct kernel_sigaction {
    void (*handler)(int);
    unsigned long flags;
    void (*restorer)(void);
    uint64_t mask;
};

/*
 * The signals this program was started with ignored, bit sig-1 (see note_ignored_signals).
 * An ignored signal stays ignored across exec; a handled one is reset by exec itself.
 */
static uint64_t ignored_at_start;

/* Run once at start (for --serve, once for all its supervisors): a system call per signal. */
static void note_ignored_signals(void)
{
    for (int sig = 1; sig <= 64; sig++) {
        struct kernel_sigaction old;
        if (sig != SIGKILL && sig != SIGSTOP &&
            syscall(SYS_rt_sigaction, sig, NULL, &old, sizeof old.mask) == 0 && old.handler == SIG_IGN)
            ignored_at_start |= 1ULL << (sig - 1);
    }
}

/*
 * Give the step a pristine signal state: default dispositions, nothing blocked. Only the
 * signals that can still be ignored need a reset: those ignored at start and SIGPIPE,
 * the one the supervisor ignores itself (setup_signals).
 */
static int reset_signals(void)
{
    struct kernel_sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.handler = SIG_DFL;
    for (int sig = 1; sig <= 64; sig++)
        if (sig == SIGPIPE || (ignored_at_start >> (sig - 1) & 1))
            (void)syscall(SYS_rt_sigaction, sig, &dfl, NULL, sizeof dfl.mask);
    sigset_t none;
    if (sigemptyset(&none) < 0)
        return -1;
    return sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child_report_and_exit(int report_fd, int stage, int err) __attribute__((noreturn));
static void child_report_and_exit(int report_fd, int stage, int err)
{
    struct child_report r = {stage, err};
    /* A single write below PIPE_BUF is atomic. If it fails, the supervisor still sees
     * the exit status below; there is nobody else to tell. */
    ssize_t n = write(report_fd, &r, sizeof r);
    (void)n;
    _exit(stage == STAGE_EXEC && (err == ENOENT || err == ENOTDIR) ? AX_EXIT_NOT_FOUND
          : stage == STAGE_EXEC || stage == STAGE_INTERPRETER ? AX_EXIT_CANNOT_EXEC
                                                               : AX_EXIT_SUPERVISOR);
}

/* What the step process needs; it lives on the supervisor's stack (shared memory). */
struct child_args {
    const struct supervisor *s;
    int out_w, err_w, report_fd;
    pid_t parent;
    bool join_group; /* started by the init of a pid namespace: join its process group */
};

/*
 * The step process, from clone to execvp. It shares the supervisor's memory
 * (CLONE_VM, see spawn_step), so it only makes system calls and writes nothing but
 * its own stack; the supervisor stays suspended until the exec or _exit.
 */
static int run_child(void *arg)
{
    const struct child_args *a = arg;
    const struct supervisor *s = a->s;
    int out_w = a->out_w, err_w = a->err_w, report_fd = a->report_fd;
    pid_t parent = a->parent;
    /* Own process group first, so that a signal to -pid from now on reaches us (in a pid namespace, the
     * init's group is ours already: -pid of the init reaches it and us). */
    if (!a->join_group && setpgid(0, 0) < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    /* If the supervisor dies (SIGKILL, OOM), nobody could record the step's exit:
     * don't let it run unobserved. Check for a supervisor that died before this. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    if (getppid() != parent)
        _exit(AX_EXIT_SUPERVISOR);
    if (dup2(s->stdin_fd, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    /* Our own fds are close-on-exec; this also keeps fds leaked by the caller from
     * reaching the step. Needs Linux 5.11; on older kernels this is best effort. */
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0 && errno != ENOSYS && errno != EINVAL)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    if (reset_signals() < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    if (s->opt.workdir && chdir(s->opt.workdir) < 0)
        child_report_and_exit(report_fd, STAGE_WORKDIR, errno);
    if (s->program[0])
        execv(s->program, s->opt.argv); /* on failure the search below ends as it always did */
    execvp(s->opt.argv[0], s->opt.argv);
    int err = errno;
    /* ENOENT for a path that exists: its #! interpreter or ELF loader is missing. */
    if (err == ENOENT && strchr(s->opt.argv[0], '/') && access(s->opt.argv[0], F_OK) == 0)
        child_report_and_exit(report_fd, STAGE_INTERPRETER, err);
    child_report_and_exit(report_fd, STAGE_EXEC, err);
}

/* Turn the child's report into the exit record's error. */
static void record_child_failure(struct supervisor *s, const struct child_report *r)
{
    const char *prog = s->opt.argv[0];
    switch (r->stage) {
    case STAGE_WORKDIR:
        fail(s, AX_EXIT_SUPERVISOR, "workdir: %s: %s", s->opt.workdir, strerror(r->err));
        break;
    case STAGE_INTERPRETER:
        fail(s, AX_EXIT_CANNOT_EXEC, "exec: bad interpreter or missing loader: %s", prog);
        break;
    case STAGE_PROC:
        fail(s, AX_EXIT_SUPERVISOR, "sandbox: mount the step's /proc: %s", strerror(r->err));
        break;
    case STAGE_EXEC:
        if (r->err == ENOENT || r->err == ENOTDIR)
            fail(s, AX_EXIT_NOT_FOUND, "exec: no such program: %s", prog);
        else if (r->err == EACCES || r->err == EPERM)
            fail(s, AX_EXIT_CANNOT_EXEC, "exec: permission denied: %s", prog);
        else if (r->err == ENOEXEC)
            fail(s, AX_EXIT_CANNOT_EXEC, "exec: not an executable format: %s", prog);
        else
            fail(s, AX_EXIT_CANNOT_EXEC, "exec: %s: %s", prog, strerror(r->err));
        break;
    default:
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: set up step process: %s", strerror(r->err));
        break;
    }
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        /* Pipe and read-only fds: close cannot lose data we care about. */
        (void)close(*fd);
        *fd = -1;
    }
}

/* Kill what is left of the step's process group (the group exists while pid does). */
static void kill_step_group(struct supervisor *s, int sig)
{
    if (s->pid > 0 && kill(-s->pid, sig) < 0 && errno != ESRCH)
        warn_msg("kill step group %ld: %s", (long)s->pid, strerror(errno));
}

/*
 * Stack for the step process until its exec: execvp needs a few KiB (a PATH_MAX
 * buffer) plus, for a script without #!, a copy of argv. Untouched pages cost nothing.
 */
static size_t child_stack_size(char *const *argv)
{
    size_t argc = 0;
    while (argv[argc])
        argc++;
    long pagesize = sysconf(_SC_PAGESIZE);
    size_t page = pagesize > 0 ? (size_t)pagesize : 4096;
    size_t size = (argc + 2) * sizeof(char *) + 64 * 1024;
    return (size + page - 1) / page * page;
}

/*
 * Clone the step process (run_child): CLONE_VM|CLONE_VFORK, like posix_spawn: no page tables to copy
 * and no copy-on-write faults afterwards, which makes a fork+exec noticeably cheaper. The child runs on
 * its own stack (so it cannot clobber our frames) and we are suspended until it has exec'd or exited.
 * Its pid, or -1 with *err set.
 */
static pid_t clone_step(struct child_args *args, int *err)
{
    size_t stack_size = child_stack_size(args->s->opt.argv);
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK | MAP_NORESERVE, -1, 0);
    if (stack == MAP_FAILED) {
        *err = errno;
        return -1;
    }
    /* The stack grows down (x86-64, arm64): pass its top. */
    pid_t pid = clone(run_child, (char *)stack + stack_size, CLONE_VM | CLONE_VFORK | SIGCHLD, args);
    if (pid < 0)
        *err = errno;
    if (munmap(stack, stack_size) < 0)
        warn_msg("munmap: %s", strerror(errno));
    return pid;
}

/*
 * With --sandbox the step gets its own pid namespace, as a pod does: it sees only its own processes, in a
 * /proc of its own, and when it ends everything it left behind ends with the namespace. The namespace's
 * first process (its init, pid 1 there) is a fork of this supervisor that
 *   - leads the process group the step joins, so that -pid of the init (the pid on record) reaches them all;
 *   - mounts the namespace's /proc over the host's in the step's view;
 *   - clones the step (run_child, which also drops the capabilities a pod does not have);
 *   - forwards SIGTERM, SIGINT and SIGHUP to every process of the namespace (kill(-1) there), reaps them,
 *     and when the step exits puts its wait status in a page shared with the supervisor and exits: the
 *     kernel then kills what is left in the namespace.
 * A failure before the step runs is reported through the step's report pipe, as run_child's are.
 */
static void run_init(struct supervisor *s, struct child_args *args) __attribute__((noreturn));
static void run_init(struct supervisor *s, struct child_args *args)
{
    int report_fd = args->report_fd;
    if (setpgid(0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, errno);
    if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        child_report_and_exit(report_fd, STAGE_PROC, errno);
    args->parent = getpid(); /* 1 */
    args->join_group = true;
    int err = 0;
    pid_t step = clone_step(args, &err);
    if (step < 0)
        child_report_and_exit(report_fd, STAGE_SETUP, err);
    /* The step has exec'd (or failed and reported it): only it holds the pipes' write ends now. */
    close(args->out_w), close(args->err_w), close(report_fd);
    for (;;) {
        struct pollfd pf = {.fd = s->sigfd, .events = POLLIN};
        if (poll(&pf, 1, -1) < 0 && errno != EINTR)
            _exit(AX_EXIT_SUPERVISOR);
        struct signalfd_siginfo si;
        while (read(s->sigfd, &si, sizeof si) == (ssize_t)sizeof si)
            if (si.ssi_signo != SIGCHLD)
                (void)kill(-1, (int)si.ssi_signo);
        int status;
        pid_t r;
        while ((r = waitpid(-1, &status, WNOHANG)) > 0) {
            if (r == step) {
                s->init_report[1] = status;
                s->init_report[0] = 1;
                _exit(0);
            }
        }
    }
}

/* Starts the init of the step's pid namespace (see run_init): its pid, or -1 with *err set. */
static pid_t start_pid_namespace(struct supervisor *s, struct child_args *args, int *err)
{
    s->init_report = mmap(NULL, 2 * sizeof(int), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->init_report == MAP_FAILED) {
        s->init_report = NULL;
        *err = errno;
        return -1;
    }
    /* Our next child is the namespace's first process; we stay where we are. */
    if (unshare(CLONE_NEWPID) < 0) {
        *err = errno;
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0)
        run_init(s, args);
    if (pid < 0)
        *err = errno;
    else
        (void)setpgid(pid, pid); /* as the init does itself: whichever comes first, -pid names its group */
    return pid;
}

/*
 * Start the step with stdout/stderr on pipes, record its pid in STEPDIR/status, and learn whether
 * the exec worked through a close-on-exec pipe that carries its errno on failure.
 */
static int spawn_step(struct supervisor *s)
{
    int out[2] = {-1, -1}, err[2] = {-1, -1}, rep[2] = {-1, -1};
    if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0 || pipe2(rep, O_CLOEXEC) < 0) {
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: pipe: %s", strerror(errno));
        for (int i = 0; i < 2; i++)
            close_fd(&out[i]), close_fd(&err[i]), close_fd(&rep[i]);
        return -1;
    }
    struct child_args args = {s, out[1], err[1], rep[1], getpid(), false};
    int clone_errno = 0;
    pid_t pid = s->opt.sandbox && !pid_ns_leader ? start_pid_namespace(s, &args, &clone_errno)
                                                 : clone_step(&args, &clone_errno);
    /* In a pid namespace of our own the step is pid 2: the status file names it by its pid on the host. */
    pid_t recorded = pid > 0 && pid_ns_leader ? ax_sandbox_host_pid_of_child(pid) : pid;
    close_fd(&out[1]), close_fd(&err[1]), close_fd(&rep[1]), close_fd(&s->stdin_fd);
    s->out_r = out[0], s->err_r = err[0];
    if (pid < 0) {
        close_fd(&rep[0]);
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: clone: %s", strerror(clone_errno));
        return -1;
    }
    /* CLONE_VFORK: we resume only after the child's exec (or exit), so its own
     * setpgid(0, 0) is done and -pid names its group from now on (an init's group is
     * set on both sides of its fork). */
    s->pid = pid;
    if (ax_append_pid(s->status_fd, s->status_prefix, "step", recorded) < 0) {
        /* Without its pid on record nobody could stop the step: don't run it. */
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: write the step's pid: %s", strerror(errno));
        kill_step_group(s, SIGKILL);
    }
    struct child_report r;
    ssize_t n;
    do
        n = read(rep[0], &r, sizeof r);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        warn_msg("read exec status: %s", strerror(errno));
    close_fd(&rep[0]);
    if (n == (ssize_t)sizeof r)
        record_child_failure(s, &r);
    else if (!s->error[0])
        s->started = true; /* EOF: the exec closed the pipe */
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Supervision: log pump, signals, exit                                      */

static void note_log_failure(struct supervisor *s, const char *what)
{
    if (!s->log_failed)
        warn_msg("write %s: %s (still draining the step's output)", what, strerror(errno));
    s->log_failed = true;
}

/* One of the step's files in STEPDIR: "NAME.what" with --name (checked short enough), else "what". */
static const char *step_file(const struct supervisor *s, const char *what, char buf[NAME_MAX + 1])
{
    if (!s->opt.name)
        return what;
    snprintf(buf, NAME_MAX + 1, "%s.%s", s->opt.name, what);
    return buf;
}

/*
 * The file a chunk of output goes to, made on first use: a step that prints nothing
 * costs no file (creating one is a good share of a short step's cost). -1 when it
 * cannot be made (reported once, like a failed write).
 */
static int output_file(struct supervisor *s, int *fd, const char *name)
{
    if (*fd < 0 && !s->log_failed) {
        char buf[NAME_MAX + 1];
        const int create = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW;
        *fd = openat(s->dirfd, step_file(s, name, buf), create, 0644);
        if (*fd < 0)
            note_log_failure(s, name);
        else
            s->made_files = true;
    }
    return *fd;
}

/* Move one chunk from a pipe to log (and to stdout for the stdout pipe). */
static void pump(struct supervisor *s, int *fd, bool is_stdout)
{
    ssize_t n = read(*fd, pump_buf, sizeof pump_buf);
    if (n < 0 && (errno == EINTR || errno == EAGAIN))
        return;
    if (n <= 0) { /* EOF (or a read error, which we can only treat as such) */
        if (n < 0)
            warn_msg("read step %s: %s", is_stdout ? "stdout" : "stderr", strerror(errno));
        close_fd(fd);
        return;
    }
    /* Plain write(2)s: every chunk is in the file (and visible to `logs -f`) at once. */
    int log = output_file(s, &s->log_fd, "log");
    if (log >= 0 && ax_write_all(log, pump_buf, (size_t)n) < 0)
        note_log_failure(s, "log");
    int out = is_stdout ? output_file(s, &s->stdout_fd, "stdout") : -1;
    if (out >= 0 && ax_write_all(out, pump_buf, (size_t)n) < 0)
        note_log_failure(s, "stdout");
}

/* Reap one child that is known to have exited. */
static void reap_pid(pid_t pid)
{
    pid_t r;
    do
        r = waitpid(pid, NULL, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0 && errno != ECHILD)
        warn_msg("waitpid %ld: %s", (long)pid, strerror(errno));
}

/*
 * Kill the step's orphaned descendants. As a child subreaper, the supervisor inherits
 * every orphan of the step (a daemon that double-forked, a process that left the
 * group with setsid), so these are exactly our children other than the step itself,
 * listed in /proc/self/task/TID/children. Being our children, their pids cannot be
 * reused before we reap them. With reap, wait for each (its own children then become
 * ours, hence the caller's loop). Returns how many were found. Best effort without
 * /proc (or without CONFIG_PROC_CHILDREN).
 */
static size_t kill_orphans(struct supervisor *s, bool reap)
{
    char path[64], buf[4096];
    /* Single-threaded: our only thread's id is our pid. */
    (void)snprintf(path, sizeof path, "/proc/self/task/%ld/children", (long)getpid());
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n;
    do
        n = read(fd, buf, sizeof buf - 1);
    while (n < 0 && errno == EINTR);
    close_fd(&fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    if ((size_t)n == sizeof buf - 1) { /* more than fits: drop the cut last pid */
        char *last = strrchr(buf, ' ');
        if (last)
            *last = '\0';
    }
    size_t count = 0;
    for (char *p = buf, *end; *p; p = end) {
        long v = strtol(p, &end, 10);
        if (end == p) { /* separator */
            end = p + 1;
            continue;
        }
        if (v <= 0 || v == (long)s->pid)
            continue;
        if (kill((pid_t)v, SIGKILL) < 0 && errno != ESRCH)
            warn_msg("kill orphan %ld: %s", v, strerror(errno));
        if (reap)
            reap_pid((pid_t)v);
        count++;
    }
    return count;
}

/* The step's main process exited (still a zombie): end the step, as a pod would. */
static void step_exited(struct supervisor *s)
{
    if (s->exited)
        return;
    s->exited = true;
    /* While the zombie holds the pid, -pid can only name the step's own group. */
    kill_step_group(s, SIGKILL);
    if (!s->init_report)
        kill_orphans(s, false);
    if (clock_gettime(CLOCK_MONOTONIC, &s->drain_deadline) < 0) {
        warn_msg("clock_gettime: %s", strerror(errno)); /* no deadline: stop draining now */
        return;
    }
    s->has_deadline = true;
    s->drain_deadline.tv_sec += AX_DRAIN_GRACE_MS / 1000;
    s->drain_deadline.tv_nsec += (long)(AX_DRAIN_GRACE_MS % 1000) * 1000000L;
    if (s->drain_deadline.tv_nsec >= 1000000000L) {
        s->drain_deadline.tv_sec++;
        s->drain_deadline.tv_nsec -= 1000000000L;
    }
}

/*
 * Look at exited children without reaping them (WNOWAIT): the step is left a zombie
 * until the end, so that its pid (and -pid) stay ours; inherited orphans are reaped.
 */
static void check_children(struct supervisor *s)
{
    for (;;) {
        siginfo_t info;
        memset(&info, 0, sizeof info);
        if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
            if (errno != ECHILD)
                warn_msg("waitid: %s", strerror(errno));
            return;
        }
        if (info.si_pid == 0)
            return; /* nothing (more) exited */
        if (info.si_pid == s->pid) {
            step_exited(s);
            return; /* orphans queued behind the zombie are reaped at the end */
        }
        reap_pid(info.si_pid);
    }
}

static void handle_signals(struct supervisor *s)
{
    for (;;) {
        struct signalfd_siginfo si;
        ssize_t n = read(s->sigfd, &si, sizeof si);
        if (n < 0 && errno == EINTR)
            continue;
        if (n != (ssize_t)sizeof si) {
            if (n < 0 && errno != EAGAIN)
                warn_msg("read signalfd: %s", strerror(errno));
            return;
        }
        if (si.ssi_signo == SIGCHLD)
            check_children(s); /* SIGCHLDs coalesce: always ask waitid */
        else if (!s->exited)
            kill_step_group(s, (int)si.ssi_signo); /* SIGTERM, SIGINT, SIGHUP */
    }
}

/* Milliseconds left before the drain deadline (0 when passed). */
static int drain_ms_left(const struct supervisor *s)
{
    struct timespec now;
    if (!s->has_deadline || clock_gettime(CLOCK_MONOTONIC, &now) < 0)
        return 0;
    long long ms = (long long)(s->drain_deadline.tv_sec - now.tv_sec) * 1000 +
                   (s->drain_deadline.tv_nsec - now.tv_nsec) / 1000000;
    return ms <= 0 ? 0 : (int)ms;
}

/* Pump the step's output until it exited and its pipes are drained. */
static void supervise(struct supervisor *s)
{
    /* The step may have died before we looked (its SIGCHLD is queued, but be sure). */
    check_children(s);
    for (;;) {
        if (s->exited && s->out_r < 0 && s->err_r < 0)
            break;
        int timeout = -1;
        if (s->exited && (timeout = drain_ms_left(s)) == 0) {
            warn_msg("the step's output pipes are still held open by processes the "
                     "supervisor cannot reach; stopped reading them");
            break;
        }
        struct pollfd pf[3] = {
            {.fd = s->out_r, .events = POLLIN},
            {.fd = s->err_r, .events = POLLIN},
            {.fd = s->sigfd, .events = POLLIN},
        };
        int n = poll(pf, 3, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fail(s, AX_EXIT_SUPERVISOR, "supervisor: poll: %s", strerror(errno));
            kill_step_group(s, SIGKILL); /* never leave it running unobserved */
            break;
        }
        /* Both pipes ready: their relative order is unknowable; stdout goes first. */
        if (pf[0].revents)
            pump(s, &s->out_r, true);
        if (pf[1].revents)
            pump(s, &s->err_r, false);
        if (pf[2].revents)
            handle_signals(s);
    }
    close_fd(&s->out_r);
    close_fd(&s->err_r);
}

/* Reap the step and derive exit code / signal (unless a failure already set them). */
static void reap_step(struct supervisor *s)
{
    int status;
    pid_t r;
    do
        r = waitpid(s->pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: waitpid: %s", strerror(errno));
        return;
    }
    if (s->error[0])
        return; /* the error explains the status (e.g. _exit(127) after execvp) */
    /* The init reports the step's status; an init that did not (killed: SIGKILL to the group) ended the step
     * with it. */
    if (s->init_report && s->init_report[0])
        status = s->init_report[1];
    if (WIFSIGNALED(status)) {
        s->signal = WTERMSIG(status);
        s->exit_code = 128 + s->signal;
    } else {
        s->exit_code = WEXITSTATUS(status);
    }
}

/*
 * After the step: kill and reap every remaining descendant (before the outputs are
 * read, so nothing writes them any more), then any zombie left. Each round kills our
 * current children, whose children become ours for the next; bounded in case /proc
 * keeps listing something that cannot be reaped.
 */
static void end_orphans(struct supervisor *s)
{
    if (s->init_report) /* the step's pid namespace ended with its init: nothing of it is left */
        return;
    for (int round = 0; round < 1000 && kill_orphans(s, true) > 0; round++)
        continue;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        continue;
}

/* Copy the outputs from the step's view; collect the names of the missing ones. */
static size_t copy_outputs(struct supervisor *s, const char **missing)
{
    size_t nmissing = 0;
    const struct ax_options *o = &s->opt;
    if (o->noutputs == 0)
        return 0;
    int outdir = -1;
    if (s->started) {
        char buf[NAME_MAX + 1];
        const char *name = step_file(s, "outputs", buf);
        s->made_files = true;
        if (mkdirat(s->dirfd, name, 0755) < 0 && errno != EEXIST)
            warn_msg("create outputs: %s", strerror(errno));
        else if ((outdir = openat(s->dirfd, name,
                                  O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) < 0)
            warn_msg("open outputs: %s", strerror(errno));
    }
    for (size_t i = 0; i < o->noutputs; i++) {
        const struct ax_output *out = &o->outputs[i];
        if (outdir < 0) { /* the step never ran, or nowhere to copy to */
            missing[nmissing++] = out->name;
            continue;
        }
        /* Relative paths are relative to the step's working directory. */
        char joined[PATH_MAX];
        const char *path = out->path;
        if (path[0] != '/' && o->workdir) {
            int n = snprintf(joined, sizeof joined, "%s/%s", o->workdir, path);
            if (n < 0 || (size_t)n >= sizeof joined) {
                warn_msg("output %s: path too long", out->name);
                missing[nmissing++] = out->name;
                continue;
            }
            path = joined;
        }
        if (ax_copy_path(path, outdir, out->name) < 0) {
            if (errno != ENOENT && errno != ENOTDIR)
                warn_msg("output %s: copy %s: %s", out->name, path, strerror(errno));
            missing[nmissing++] = out->name;
        }
    }
    if (outdir >= 0 && fsync(outdir) < 0)
        warn_msg("fsync outputs: %s", strerror(errno));
    close_fd(&outdir);
    return nmissing;
}

/* Copy outputs, append the exit record to STEPDIR/status last; returns argosy-exec's exit code. */
static int finish(struct supervisor *s)
{
    const char **missing = NULL;
    size_t nmissing = 0;
    if (s->opt.noutputs > 0) {
        missing = calloc(s->opt.noutputs, sizeof *missing);
        if (!missing)
            fail(s, AX_EXIT_SUPERVISOR, "supervisor: out of memory");
        else
            nmissing = copy_outputs(s, missing);
    }
    if (s->stdout_fd >= 0 && fsync(s->stdout_fd) < 0) /* outputs.result must be durable */
        warn_msg("fsync stdout: %s", strerror(errno));
    struct ax_exit_record rec = {
        .exit_code = s->exit_code,
        .signal = s->signal,
        .error = s->error,
        .missing = missing,
        .nmissing = nmissing,
    };
    int code = s->exit_code;
    /* The entries of the files the step made are durable before the record that names them can be. */
    if (s->made_files && fsync(s->dirfd) < 0)
        warn_msg("fsync %s: %s", s->opt.dir, strerror(errno));
    if (ax_write_exit_record(s->status_fd, s->status_prefix, &rec) < 0) {
        warn_msg("write exit record: %s", strerror(errno));
        code = AX_EXIT_SUPERVISOR;
    }
    /*
     * Tell the controller: it reads the record now and commits what it read to its own store, so the fsync
     * below need not delay it (nor need the teardown of the step's namespace when this process exits). The
     * fsync keeps the record through a crash of the machine before that commit, as before.
     */
    close_fd(&s->done_fd);
    /* The status file's entry is new too: one-off, or --sync-dir (synced above if files were made). */
    bool new_entry = !s->opt.name || s->opt.sync_dir;
    if (fsync(s->status_fd) < 0 || (new_entry && !s->made_files && fsync(s->dirfd) < 0)) {
        warn_msg("fsync exit record: %s", strerror(errno));
        code = AX_EXIT_SUPERVISOR;
    }
    if (s->error[0])
        warn_msg("%s", s->error);
    free(missing);
    return code;
}

/*
 * What a supervisor forked by --serve is handed besides its command line; a one-off
 * supervisor gets none of it (one_off).
 */
struct handover {
    int done_fd; /* the write end of the pipe whose read end the server passes to the controller, or -1 */
    int dirfd; /* STEPDIR, opened by the server (a spare's view no longer shows the host's paths), or -1 */
    int stdin_fd; /* the step's stdin, opened by the server, or -1 */
    const char *program; /* NULL, or where the server found PROGRAM ("": search as usual) */
    bool view_built; /* a spare: the sandbox is built already */
};
static const struct handover one_off = {.done_fd = -1, .dirfd = -1, .stdin_fd = -1};

/* True when the --hide list of opt has dir. */
static bool hides(const struct ax_options *opt, const char *dir)
{
    for (size_t i = 0; i < opt->nhide; i++)
        if (strcmp(opt->hide[i], dir) == 0)
            return true;
    return false;
}

/* A supervisor of --serve hides what its server was told to, besides its own --hide (parse_args made room). */
static void add_server_hides(struct ax_options *opt)
{
    for (size_t i = 0; i < serve_nhide; i++)
        if (!hides(opt, serve_hide[i]))
            opt->hide[opt->nhide++] = serve_hide[i];
}

/* Supervises one step: the whole life of a one-off argosy-exec, or of a child of --serve. */
static int run_supervisor(int argc, char **argv, const struct handover *h)
{
    static struct supervisor sup;
    struct supervisor *s = &sup;
    s->sigfd = s->status_fd = s->log_fd = s->stdout_fd = s->out_r = s->err_r = -1;
    s->done_fd = h->done_fd;
    s->dirfd = h->dirfd;
    s->stdin_fd = h->stdin_fd;

    if (ensure_std_fds() < 0)
        return AX_EXIT_SUPERVISOR; /* no stderr to complain to */
    char usage_err[AX_ERR_MAX] = "";
    int parsed = parse_args(argc, argv, &s->opt, usage_err, sizeof usage_err);
    if (!s->opt.dir) {
        warn_msg("%s", usage_err);
        (void)fputs(usage_text, stderr);
        return AX_EXIT_SUPERVISOR;
    }
    if (s->dirfd < 0)
        s->dirfd = open(s->opt.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0) {
        warn_msg("--dir %s: %s", s->opt.dir, strerror(errno));
        return AX_EXIT_SUPERVISOR;
    }
    /* Never truncated: under --name it is the workflow's, shared and made by the controller. */
    s->status_fd = openat(s->dirfd, "status", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (s->status_fd < 0) {
        warn_msg("open %s/status: %s", s->opt.dir, strerror(errno));
        return AX_EXIT_SUPERVISOR; /* nowhere to record anything */
    }
    if (s->opt.name)
        snprintf(s->status_prefix, sizeof s->status_prefix, "%s ", s->opt.name);
    if (parsed < 0) {
        (void)fputs(usage_text, stderr);
        fail(s, AX_EXIT_SUPERVISOR, "usage: %s", usage_err);
        return finish(s);
    }
    add_server_hides(&s->opt);
    s->opt.own_proc = s->opt.sandbox && pid_ns_leader;
    if (ax_append_pid(s->status_fd, s->status_prefix, "supervisor", host_pid) < 0) {
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: write status: %s", strerror(errno));
        return finish(s);
    }
    /* Detach from the caller's session and terminal: Ctrl-C or a crash of the
     * controller must not take the step down. EPERM: we already lead a process group
     * (started from a job-control shell); the step still gets its own group. */
    if (setsid() < 0 && errno != EPERM)
        warn_msg("setsid: %s", strerror(errno));
    /* Orphans of the step become our children instead of init's: none outlives it. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
        warn_msg("PR_SET_CHILD_SUBREAPER: %s", strerror(errno));
    if (setup_signals(s) < 0) {
        fail(s, AX_EXIT_SUPERVISOR, "supervisor: signals: %s", strerror(errno));
        return finish(s);
    }
    if (h->program)
        (void)snprintf(s->program, sizeof s->program, "%s", h->program);
    else if (ax_sandbox_find_program(&s->opt, getenv("PATH"), s->program, sizeof s->program) < 0)
        s->program[0] = '\0';
    if (prepare_step(s, h->view_built) < 0 || spawn_step(s) < 0)
        return finish(s);
    supervise(s);
    reap_step(s);
    end_orphans(s);
    return finish(s);
}

/*
 * argosy-exec --serve: starts supervisors by fork instead of by exec. A controller keeps one server for its
 * life and sends it a request per step; each supervisor then begins from this already loaded and initialised
 * process, which saves a process start (and glibc's start-up) per step. Requests and replies travel over the
 * stream socket on fd 0: a request is three native uint32 (argc, envc, payload bytes) and a payload of argc
 * then envc NUL-terminated strings; the reply is an int32, the supervisor's pid or -errno, with a pidfd of the
 * supervisor and the read end of its done pipe passed alongside (see send_reply) when the kernel has pidfds.
 * A sandboxed step may go to a spare supervisor that built its view ahead (see Spares below). The server reaps
 * its children and exits when the controller closes the socket; running supervisors carry on (each leads its
 * own session, and the controller that follows re-attaches through their status files).
 */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Splits a request payload into argv and envp (NULL-terminated, pointing into the payload). */
static int split_request(char *payload, uint32_t bytes, uint32_t argc, uint32_t envc, char ***argv_out,
                         char ***envp_out)
{
    char **argv = calloc((size_t)argc + 1, sizeof *argv);
    char **envp = calloc((size_t)envc + 1, sizeof *envp);
    if (!argv || !envp) {
        free(argv);
        free(envp);
        return -ENOMEM;
    }
    uint32_t at = 0;
    for (uint32_t i = 0; i < argc + envc; i++) {
        if (at >= bytes) {
            free(argv);
            free(envp);
            return -EINVAL;
        }
        char *str = payload + at;
        size_t len = strnlen(str, bytes - at);
        if (len == bytes - at) { /* no NUL before the end */
            free(argv);
            free(envp);
            return -EINVAL;
        }
        if (i < argc)
            argv[i] = str;
        else
            envp[i - argc] = str;
        at += (uint32_t)len + 1;
    }
    *argv_out = argv;
    *envp_out = envp;
    return 0;
}

/*
 * Spares. After a sandboxed request the server forks a spare supervisor, which builds the
 * view of a step right away (the copy-on-write root, a private /tmp and /dev/shm: all a step
 * without --bind or --tmpfs gets) and then waits. The next such request goes to it, so the
 * step starts without waiting for its sandbox; on a chain of steps, each one's sandbox is
 * built while the one before it runs. A spare is used only while the host's mounts are as
 * they were when it was made (else the view would miss a new one); it is replaced when they
 * changed, and ends after SPARE_IDLE_MS without a request or when the server stops. The
 * server opens what a supervisor would open on the host's paths (STEPDIR, --stdin, the PATH
 * search) and hands it over with the request, since the spare's view no longer shows them.
 *
 * To a spare, a request is the server's own framing (three uint32, then argc + envc strings)
 * with one more string first, where the server found PROGRAM ("" to search as usual), and
 * three descriptors passed with the header: the done pipe's write end, STEPDIR and the stdin.
 */
#define SPARE_IDLE_MS 2000

static struct {
    pid_t pid; /* 0: none */
    int sock; /* the server's end of the spare's socket pair */
    int generation; /* of the kept host mounts when it was made */
    struct timespec made;
    bool off; /* a spare died unused (it could not build a view): this server makes no more */
} spare = {.sock = -1};

/* The server's own pid namespace, to go back to after forking a supervisor into a new one (-1: none). */
static int own_pid_ns = -1;

/* This process's pid on the host: /proc/self still names the host's view of it (the host's /proc is mounted). */
static pid_t pid_on_host(void)
{
    char link[32];
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    if (n <= 0)
        return getpid();
    link[n] = '\0';
    long v = strtol(link, NULL, 10);
    return v > 0 ? (pid_t)v : getpid();
}

/*
 * Forks a supervisor or a spare. A sandboxed one becomes the first process of a new pid namespace, so that
 * its step needs no init of its own (one fork fewer per step, and a spare mounts the namespace's /proc ahead).
 * Returns like fork.
 */
static pid_t fork_supervisor(bool sandboxed)
{
    bool ns = sandboxed && own_pid_ns >= 0 && unshare(CLONE_NEWPID) == 0;
    pid_t pid = fork();
    if (pid == 0) {
        host_pid = pid_on_host();
        pid_ns_leader = ns && getpid() == 1;
        return 0;
    }
    if (ns && setns(own_pid_ns, CLONE_NEWPID) < 0) {
        (void)close(own_pid_ns); /* cannot go back: no more namespaces (supervisors make their own) */
        own_pid_ns = -1;
    }
    return pid;
}

/* In a child of the server: the start of every supervisor, as a one-off one would start. */
static void leave_server(int sock, int sigfd)
{
    close(sock);
    close(sigfd);
    if (spare.sock >= 0)
        close(spare.sock); /* else the spare would not see the server drop it */
    int null = open("/dev/null", O_RDWR | O_CLOEXEC); /* fd 0, the socket's, just closed */
    if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
        _exit(AX_EXIT_SUPERVISOR);
    if (null > 1)
        close(null);
    sigset_t none;
    sigemptyset(&none);
    signal(SIGPIPE, SIG_DFL);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Forks a supervisor; *done_r gets the read end of its done pipe (-1 when there is none). */
static pid_t start_supervisor(int sock, int sigfd, uint32_t argc, char **argv, char **envp, bool sandboxed,
                              int *done_r)
{
    int done[2] = {-1, -1};
    if (pipe2(done, O_CLOEXEC) < 0)
        done[0] = done[1] = -1; /* the controller then watches the pidfd alone */
    pid_t pid = fork_supervisor(sandboxed);
    if (pid != 0) {
        if (done[1] >= 0)
            close(done[1]);
        if (pid < 0 && done[0] >= 0)
            close(done[0]);
        *done_r = pid < 0 ? -1 : done[0];
        return pid < 0 ? -errno : pid;
    }
    leave_server(sock, sigfd);
    if (done[0] >= 0)
        close(done[0]);
    environ = envp;
    const struct handover h = {.done_fd = done[1], .dirfd = -1, .stdin_fd = -1};
    _exit(run_supervisor((int)argc, argv, &h));
}

/*
 * Sends `len` bytes (a few: one sendmsg) with up to three descriptors alongside (SCM_RIGHTS, none when
 * nfds is 0). 0 when all was sent; -1 (EPIPE when the peer is gone: SIGPIPE is not raised).
 */
static int send_with_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds)
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds > 0) {
        msg.msg_control = control.buf;
        msg.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
        memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
    }
    ssize_t n;
    do
        n = sendmsg(sock, &msg, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)len ? 0 : -1;
}

static long ms_since(const struct timespec *t)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t->tv_sec) * 1000 + (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Ends the spare: it reads end of file and exits, taking its namespace along. */
static void drop_spare(void)
{
    if (spare.pid <= 0)
        return;
    close(spare.sock);
    spare.sock = -1;
    spare.pid = 0;
}

static int recv_spare_request(int sock, uint32_t header[3], int fds[3])
{
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(3 * sizeof(int))];
    } control;
    struct iovec iov = {.iov_base = header, .iov_len = 3 * sizeof(uint32_t)};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                         .msg_controllen = sizeof control.buf};
    ssize_t n;
    do
        n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (n < 0 && errno == EINTR);
    struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
    if (n != (ssize_t)iov.iov_len || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
        c->cmsg_len != CMSG_LEN(3 * sizeof(int)))
        return -1;
    memcpy(fds, CMSG_DATA(c), 3 * sizeof(int));
    return 0;
}

/* The spare, from fork to the end of the step it is handed. */
static void run_spare(int sock) __attribute__((noreturn));
static void run_spare(int sock)
{
    struct ax_options view = {.sandbox = true, .hide = serve_hide, .nhide = serve_nhide, .own_proc = pid_ns_leader};
    char err[AX_ERR_MAX];
    if (ax_sandbox_setup(&view, err, sizeof err) < 0)
        _exit(AX_EXIT_SUPERVISOR); /* the server makes no more; a supervisor of its own reports why */
    uint32_t header[3];
    int fds[3];
    if (recv_spare_request(sock, header, fds) < 0)
        _exit(0); /* dropped unused */
    const uint32_t argc = header[0], envc = header[1], bytes = header[2];
    char *payload = malloc((size_t)bytes + 1);
    if (!payload || read_full(sock, payload, bytes) < 0)
        _exit(AX_EXIT_SUPERVISOR);
    close(sock);
    payload[bytes] = '\0';
    /* The program's string first, then the request as the server received it. */
    const char *program = payload;
    uint32_t skip = (uint32_t)strlen(program) + 1;
    char **argv = NULL, **envp = NULL;
    if (skip > bytes || split_request(payload + skip, bytes - skip, argc, envc, &argv, &envp) < 0)
        _exit(AX_EXIT_SUPERVISOR);
    environ = envp;
    const struct handover h = {
        .done_fd = fds[0], .dirfd = fds[1], .stdin_fd = fds[2], .program = program, .view_built = true};
    _exit(run_supervisor((int)argc, argv, &h));
}

/* After a sandboxed request: a spare for the next one, unless there is one already. */
static void make_spare(int sock, int sigfd, int generation)
{
    if (spare.off || generation < 0)
        return;
    if (spare.pid > 0 && spare.generation == generation)
        return;
    drop_spare();
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return;
    pid_t pid = fork_supervisor(true);
    if (pid == 0) {
        close(pair[0]);
        leave_server(sock, sigfd);
        run_spare(pair[1]);
    }
    close(pair[1]);
    if (pid < 0) {
        close(pair[0]);
        return;
    }
    spare.pid = pid;
    spare.sock = pair[0];
    spare.generation = generation;
    clock_gettime(CLOCK_MONOTONIC, &spare.made);
}

static void free_options(struct ax_options *o, int argc)
{
    for (int i = 0; i < argc && o->binds; i++) {
        free(o->binds[i].src);
        free(o->binds[i].dst);
    }
    for (int i = 0; i < argc && o->outputs; i++)
        free((char *)o->outputs[i].name);
    free(o->binds);
    free(o->tmpfs);
    free(o->hide);
    free((void *)o->outputs);
}

static const char *env_value(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/*
 * Hands a request to the spare when it can run it: a sandboxed step without --bind or --tmpfs,
 * the host's mounts unchanged since the spare was made. Returns the spare's pid with *done_r
 * set, or 0: start a supervisor of its own. *sandboxed tells whether the request wants a sandbox.
 */
static pid_t hand_to_spare(uint32_t argc, uint32_t envc, char **argv, char **envp, char *payload,
                           uint32_t bytes, int generation, int *done_r, bool *sandboxed)
{
    struct ax_options o = {0};
    char err[AX_ERR_MAX];
    *sandboxed = parse_args((int)argc, argv, &o, err, sizeof err) == 0 && o.sandbox;
    pid_t pid = 0;
    int dirfd = -1, stdin_fd = -1, done[2] = {-1, -1};
    if (!*sandboxed || o.nbinds > 0 || o.ntmpfs > 0 || spare.pid <= 0 || generation < 0 ||
        spare.generation != generation)
        goto out;
    for (size_t i = 0; i < o.nhide; i++) { /* the spare hides the server's directories only */
        bool known = false;
        for (size_t j = 0; j < serve_nhide && !known; j++)
            known = strcmp(o.hide[i], serve_hide[j]) == 0;
        if (!known)
            goto out;
    }
    /* What the supervisor would open on the host's paths; if one fails, a supervisor of its own says why. */
    dirfd = open(o.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    stdin_fd = open(o.stdin_path ? o.stdin_path : "/dev/null", O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (dirfd < 0 || stdin_fd < 0 || pipe2(done, O_CLOEXEC) < 0)
        goto out;
    char program[PATH_MAX];
    if (ax_sandbox_find_program(&o, env_value(envp, "PATH"), program, sizeof program) < 0)
        program[0] = '\0';
    size_t plen = strlen(program) + 1;
    uint32_t header[3] = {argc, envc, (uint32_t)(plen + bytes)};
    int fds[3] = {done[1], dirfd, stdin_fd};
    /* SIGPIPE is ignored here: a spare that is gone gives EPIPE. */
    if (send_with_fds(spare.sock, header, sizeof header, fds, 3) < 0 || ax_write_all(spare.sock, program, plen) < 0 ||
        ax_write_all(spare.sock, payload, bytes) < 0) { /* the spare is gone: it could not build a view */
        drop_spare();
        spare.off = true;
        goto out;
    }
    pid = spare.pid;
    *done_r = done[0];
    done[0] = -1;
    close(spare.sock); /* it is a supervisor now, reaped like the others */
    spare.sock = -1;
    spare.pid = 0;
out:
    for (size_t i = 0; i < 2; i++)
        if (done[i] >= 0)
            close(done[i]);
    if (dirfd >= 0)
        close(dirfd);
    if (stdin_fd >= 0)
        close(stdin_fd);
    free_options(&o, (int)argc);
    return pid;
}

/*
 * Reply with the supervisor's pid (or -errno) and, when the kernel has pidfds, with file
 * descriptors (SCM_RIGHTS): a pidfd of it, opened here before this loop can reap the
 * supervisor, so that it names our child even if the supervisor is gone and its pid reused
 * by the time the controller reads the reply; then the read end of its done pipe, which
 * reports end of file once the supervisor has written the exit record (or died). Closes done_r.
 */
static int send_reply(int sock, int32_t reply, int done_r)
{
    int fds[2] = {reply > 0 ? (int)syscall(SYS_pidfd_open, (pid_t)reply, 0) : -1, done_r};
    size_t nfds = fds[0] < 0 ? 0 : done_r < 0 ? 1 : 2; /* a done pipe without a pidfd is not sent */
    int rc = send_with_fds(sock, &reply, sizeof reply, fds, nfds);
    for (size_t i = 0; i < 2; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

static int serve(void)
{
    const int sock = 0;
    own_pid_ns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    signal(SIGPIPE, SIG_IGN); /* a controller gone while we reply: EPIPE, then EOF ends us */
    if (sigprocmask(SIG_BLOCK, &chld, NULL) < 0)
        return AX_EXIT_SUPERVISOR;
    int sigfd = signalfd(-1, &chld, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sigfd < 0)
        return AX_EXIT_SUPERVISOR;
    for (;;) {
        struct pollfd pf[2] = {{.fd = sock, .events = POLLIN}, {.fd = sigfd, .events = POLLIN}};
        int timeout = -1;
        if (spare.pid > 0) {
            long left = SPARE_IDLE_MS - ms_since(&spare.made);
            if (left <= 0)
                drop_spare();
            else
                timeout = (int)left;
        }
        if (poll(pf, 2, timeout) < 0) {
            if (errno == EINTR)
                continue;
            return AX_EXIT_SUPERVISOR;
        }
        if (pf[1].revents) {
            struct signalfd_siginfo si;
            while (read(sigfd, &si, sizeof si) == (ssize_t)sizeof si)
                continue;
            pid_t pid;
            while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
                if (pid == spare.pid) { /* died unused: it could not build a view */
                    drop_spare();
                    spare.off = true;
                }
        }
        if (!pf[0].revents)
            continue;
        uint32_t header[3];
        if (read_full(sock, header, sizeof header) < 0)
            return 0; /* the controller is gone */
        const uint32_t argc = header[0], envc = header[1], bytes = header[2];
        if (argc == 0 || argc > 1u << 16 || envc > 1u << 16 || bytes > 64u << 20)
            return AX_EXIT_SUPERVISOR; /* not a request of ours: stop rather than guess */
        char *payload = malloc((size_t)bytes + 1);
        if (!payload || read_full(sock, payload, bytes) < 0) {
            free(payload);
            return payload ? 0 : AX_EXIT_SUPERVISOR;
        }
        payload[bytes] = '\0';
        char **argv = NULL, **envp = NULL;
        int done_r = -1;
        int32_t reply = split_request(payload, bytes, argc, envc, &argv, &envp);
        int generation = ax_sandbox_keep_host_mounts(); /* a poll when nothing changed */
        bool sandboxed = false;
        if (reply == 0) {
            reply = hand_to_spare(argc, envc, argv, envp, payload, bytes, generation, &done_r, &sandboxed);
            if (reply == 0)
                reply = start_supervisor(sock, sigfd, argc, argv, envp, sandboxed, &done_r);
        }
        free(argv);
        free(envp);
        free(payload);
        if (send_reply(sock, reply, done_r) < 0)
            return 0;
        if (sandboxed)
            make_spare(sock, sigfd, generation);
    }
}

int main(int argc, char **argv)
{
    note_ignored_signals();
    host_pid = getpid();
    if (argc >= 2 && strcmp(argv[1], "--serve") == 0) {
        serve_hide = calloc((size_t)argc, sizeof *serve_hide);
        if (!serve_hide)
            return AX_EXIT_SUPERVISOR;
        for (int i = 2; i < argc; i++) {
            if (strcmp(argv[i], "--hide") != 0 || i + 1 >= argc || argv[i + 1][0] != '/') {
                (void)fputs(usage_text, stderr);
                return AX_EXIT_SUPERVISOR;
            }
            serve_hide[serve_nhide++] = argv[++i];
        }
        return serve();
    }
    return run_supervisor(argc, argv, &one_off);
}
