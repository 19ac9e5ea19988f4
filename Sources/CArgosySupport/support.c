#define _GNU_SOURCE
#include "argosy_support.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif

int argosy_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

/* posix_spawn with default signal handling and an empty signal mask; consumes `actions`. Returns the pid or
 * -errno. */
static pid_t spawn_with(const char *path, posix_spawn_file_actions_t *actions, char *const argv[],
                        char *const envp[], short extra_flags) {
    posix_spawnattr_t attr;
    sigset_t empty, all;
    pid_t pid = 0;
    posix_spawnattr_init(&attr);
    sigemptyset(&empty);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags);
    int rc = posix_spawn(&pid, path, actions, &attr, argv, envp);
    posix_spawn_file_actions_destroy(actions);
    posix_spawnattr_destroy(&attr);
    return rc == 0 ? pid : -rc;
}

pid_t argosy_spawn(const char *path, char *const argv[], char *const envp[], int quiet) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    /* The child inherits nothing but 0-2: a background controller must not hold its parent's pipes open. */
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    if (quiet) {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    }
    return spawn_with(path, &actions, argv, envp, 0);
}

pid_t argosy_spawn_server(const char *path, char *const argv[], char *const envp[], int *socket_out) {
    int pair[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0) return -errno;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    /* dup2 clears close-on-exec on the server's end; everything else above 2 is closed. */
    posix_spawn_file_actions_adddup2(&actions, pair[1], 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    /* Its own session: Ctrl-C or a hang-up aimed at the controller's terminal must not kill it mid-request. */
    pid_t pid = spawn_with(path, &actions, argv, envp, POSIX_SPAWN_SETSID);
    close(pair[1]);
    if (pid < 0) {
        close(pair[0]);
        return pid;
    }
    *socket_out = pair[0];
    return pid;
}

ssize_t argosy_send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    size_t left = len;
    while (left > 0) {
        ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)len;
}

ssize_t argosy_recv_reply(int fd, int *reply, int *pidfd, int *done_fd) {
    *pidfd = *done_fd = -1;
    char *p = (char *)reply;
    size_t left = sizeof *reply;
    while (left > 0) {
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(2 * sizeof(int))];
        } control;
        struct iovec iov = {.iov_base = p, .iov_len = left};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control.buf,
                             .msg_controllen = sizeof control.buf};
        ssize_t n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            if (*pidfd >= 0) close(*pidfd);
            if (*done_fd >= 0) close(*done_fd);
            *pidfd = *done_fd = -1;
            return -1;
        }
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
            int fds[2] = {-1, -1};
            size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
            memcpy(fds, CMSG_DATA(c), (count > 2 ? 2 : count) * sizeof(int));
            for (size_t i = 0; i < count && i < 2; i++) {
                int *slot = i == 0 ? pidfd : done_fd;
                if (*slot < 0) *slot = fds[i];
                else close(fds[i]);
            }
        }
        p += n;
        left -= (size_t)n;
    }
    return (ssize_t)sizeof *reply;
}

int argosy_try_reap(pid_t pid) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == 0) return -1;
    if (r < 0) return -2;
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

int argosy_process_exists(pid_t pid) { return kill(pid, 0) == 0 || errno == EPERM; }

int argosy_watch_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

int argosy_watch_add(int ep, int fd) {
    struct epoll_event event = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &event);
}

void argosy_watch_remove(int ep, int fd) { (void)epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL); }

int argosy_watch_wait(int ep, int *fds, int max) {
    struct epoll_event events[64];
    if (max > 64) max = 64;
    int n = epoll_wait(ep, events, max, -1);
    for (int i = 0; i < n; i++) fds[i] = events[i].data.fd;
    return n;
}
