/*
 * argosy-exec: the step supervisor of Argosy's local runtime.
 *
 * Shared declarations of the supervisor's translation units:
 *   main.c     command line, starting the step, log pump, signals, leftover processes,
 *              exit record
 *   sandbox.c  mount namespace, copy-on-write root (overlayfs), private /tmp, tmpfs
 *              and bind mounts, a pod's /dev, hidden directories, capabilities
 *   files.c    small file helpers: full writes, atomic files, JSON, output copies
 */
#ifndef ARGOSY_EXEC_H
#define ARGOSY_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Exit codes of argosy-exec besides the step's own. */
enum {
    AX_EXIT_SUPERVISOR = 125, /* usage, sandbox, workdir or supervisor failure */
    AX_EXIT_CANNOT_EXEC = 126, /* program found but not executable */
    AX_EXIT_NOT_FOUND = 127, /* program not found */
};

/* Size of every error-message buffer; messages are truncated, never overflowed. */
#define AX_ERR_MAX 1024

/* One --bind SRC:DST[:ro]. src and dst are owned copies. */
struct ax_bind {
    char *src;
    char *dst;
    bool ro;
    int src_fd; /* O_PATH fd of src, opened before /tmp is covered; -1 if not yet */
    bool src_is_dir;
};

/* One --output NAME=PATH: name is an owned copy (a plain file name), path points into argv. */
struct ax_output {
    const char *name;
    const char *path;
};

struct ax_options {
    const char *dir;
    const char *name; /* NULL, or the step's name in dir: its files NAME.log, ..., its status lines "NAME ..." */
    bool sandbox;
    bool sync_dir; /* STEPDIR's own entries are new (the controller just made its status file): fsync it too */
    const char *workdir;
    const char *stdin_path;
    struct ax_bind *binds;
    size_t nbinds;
    const char **tmpfs;
    size_t ntmpfs;
    const char **hide; /* --hide DIR: covered by an empty read-only directory in the step's view */
    size_t nhide;
    bool own_proc; /* the caller leads a pid namespace of its own: the view gets that namespace's /proc */
    struct ax_output *outputs;
    size_t noutputs;
    char **argv; /* PROGRAM ARGS..., NULL-terminated (points into main's argv) */
};

/* ---- files.c ---- */

/* Format "prefix: strerror(err)"-style messages into a bounded buffer. */
void ax_errf(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write all of buf, retrying short writes and EINTR. 0 on success, -1 + errno. */
int ax_write_all(int fd, const void *buf, size_t len);

/*
 * STEPDIR/status, opened O_APPEND, holds one line per event, each appended in one write
 * (so lines of supervisors sharing the file never interleave, and readers take only
 * lines ending in "\n"); with --name NAME, every line starts with "NAME ":
 *   supervisor PID        first thing
 *   step PID              once the step runs (its pid is its process group)
 *   exit {JSON}           last, durably: {"exitCode":N[,"signal":S][,"error":"..."][,"missingOutputs":[...]]}
 */
int ax_append_line(int fd, const char *line, size_t len);

/* Append "PREFIXTAG PID\n". Not fsynced: a pid only matters while the process lives. */
int ax_append_pid(int fd, const char *prefix, const char *tag, pid_t pid);

/*
 * Copy the file or directory at src_path (resolved in the current mount namespace,
 * following a symlink at the top only) to dst_name inside dst_dirfd. Inside
 * directories only regular files and directories are copied; symlinks and special
 * files are skipped. Copies are fsynced. 0 on success; -1 + errno (ENOENT: missing).
 */
int ax_copy_path(const char *src_path, int dst_dirfd, const char *dst_name);

/* The exit record: {"exitCode":N,"signal":S,"error":"...","missingOutputs":[...]} */
struct ax_exit_record {
    int exit_code;
    int signal; /* 0: none */
    const char *error; /* NULL or "": none */
    const char *const *missing; /* names of missing outputs */
    size_t nmissing;
};

/* Append "PREFIXexit {JSON}" to status_fd (not synced: the caller does). 0 / -1 + errno. */
int ax_write_exit_record(int status_fd, const char *prefix, const struct ax_exit_record *rec);

/* ---- sandbox.c ---- */

/*
 * Enter a private mount namespace and build the step's view: a copy-on-write root
 * (an overlay on the host's /, the host's other mounts recreated in it, a pod's /dev
 * instead of the host's), pivoted into; then a private /tmp and /dev/shm, an empty
 * read-only directory over each --hide, the --tmpfs mounts, then the --bind mounts
 * in order; then the old root is detached. The caller stays in the namespace and in
 * the new root (so it later reads outputs from the step's view), and what it or its
 * children exec holds at most a container's default capabilities (Docker's set, without
 * CAP_MKNOD): root in a step cannot mount, trace, load modules or make device nodes,
 * while the caller keeps its own capabilities. 0 on success; -1
 * with a message starting with "sandbox: " in err (e.g. no overlayfs).
 */
int ax_sandbox_setup(struct ax_options *opt, char *err, size_t errlen);

/*
 * With --sandbox: where the step's search of PATH (the step's, NULL if unset) will find
 * PROGRAM, found in the host's view before the sandbox is built (its directories' entries
 * are warm there; in the fresh copy-on-write root every directory a search passes through
 * is looked up cold). Only when the search cannot differ: root (no user namespace),
 * absolute PATH entries that no --bind, --tmpfs, /tmp or /dev/shm touches. 0 with the path
 * in OUT, or -1: search as usual.
 */
int ax_sandbox_find_program(const struct ax_options *opt, const char *path, char *out, size_t outlen);

/*
 * For --serve: reads the host's mounts (/proc/self/mountinfo) now, or again when they changed
 * since the last call, and keeps them for the supervisors it forks next, which then skip
 * reading and parsing them. Returns the generation of the kept mounts (1 for the first
 * read, one more for each read after a change), or -1 when it cannot (supervisors then
 * read it themselves).
 */
int ax_sandbox_keep_host_mounts(void);

/*
 * After a view built with own_proc: the pid on the host of the caller's child `pid` (its only child, just
 * started), read through the host's /proc kept open for it; `pid` itself when that cannot be read.
 */
pid_t ax_sandbox_host_pid_of_child(pid_t pid);

#endif /* ARGOSY_EXEC_H */
