#ifndef ARGOSY_SUPPORT_H
#define ARGOSY_SUPPORT_H

#include <sys/types.h>

/// pidfd_open(2): a file descriptor that becomes readable when `pid` exits. -1 with errno on failure.
int argosy_pidfd_open(pid_t pid);

/// posix_spawn(3) of `path` with `argv` and `envp`, default signal handling and an empty signal mask.
/// Standard input is /dev/null; standard output and error are inherited unless `quiet` is set
/// (then /dev/null). Returns the pid, or -errno.
pid_t argosy_spawn(const char *path, char *const argv[], char *const envp[], int quiet);

/// Starts `path` (argosy-exec --serve), in a session of its own, with one end of a new stream socket pair as its
/// standard input and /dev/null as its output and error; `*socket_out` gets the other end (close-on-exec). Returns the pid, or
/// -errno.
pid_t argosy_spawn_server(const char *path, char *const argv[], char *const envp[], int *socket_out);

/// send(2) of all `len` bytes without SIGPIPE; -1 with errno on failure.
ssize_t argosy_send_all(int fd, const void *buf, size_t len);

/// Receives the 4-byte reply of `argosy-exec --serve` and the descriptors passed with it (SCM_RIGHTS,
/// close-on-exec): `*pidfd` a pidfd of the supervisor, `*done_fd` the read end of its done pipe (end of file once
/// it wrote its exit record or died); -1 for each that did not come. Returns 4, or -1 on failure or end of stream.
ssize_t argosy_recv_reply(int fd, int *reply, int *pidfd, int *done_fd);

/// waitpid(pid, &status, WNOHANG): the exit code (or 128+signal) once exited, -1 while running, -2 if not
/// our child (or already reaped).
int argosy_try_reap(pid_t pid);

/// True when a process with this pid exists (kill(pid, 0)).
int argosy_process_exists(pid_t pid);

/// An epoll instance (close-on-exec) for descriptors that become readable or hang up once: -1 with errno.
int argosy_watch_create(void);

/// Adds `fd` to the epoll instance `ep`: 0, or -1 with errno.
int argosy_watch_add(int ep, int fd);

/// Removes `fd` from `ep` (before it is closed).
void argosy_watch_remove(int ep, int fd);

/// Waits until descriptors of `ep` are ready and stores up to `max` of them in `fds`: their count, or -1 with errno.
int argosy_watch_wait(int ep, int *fds, int max);

#endif
