/*
 * File helpers of argosy-exec: full writes, atomic files, the JSON exit record and
 * output copies. Every path under STEPDIR is written relative to its directory fd,
 * because the sandbox may hide STEPDIR's path.
 */
#define _GNU_SOURCE
#include "include/argosy_exec.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Deeper output trees are refused (ELOOP) rather than exhausting fds or stack. */
#define AX_COPY_MAX_DEPTH 128

/* One buffer for file copies; the supervisor is single-threaded. */
static char copy_buf[1 << 16];

void ax_errf(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    /* vsnprintf truncates and always terminates (len > 0). */
    (void)vsnprintf(buf, len, fmt, ap);
    va_end(ap);
}

int ax_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* close() that keeps the first error in *err (0 when none so far). */
static void close_keep_err(int fd, int *err)
{
    if (close(fd) < 0 && *err == 0 && errno != EINTR)
        *err = errno;
}

int ax_append_line(int fd, const char *line, size_t len)
{
    /* One write(2): a reader sees the whole line or, without its "\n", knows it is not complete. */
    ssize_t w;
    do
        w = write(fd, line, len);
    while (w < 0 && errno == EINTR);
    if (w >= 0 && (size_t)w != len) {
        errno = EIO; /* a short write to a regular file: the disk is full */
        return -1;
    }
    return w < 0 ? -1 : 0;
}

int ax_append_pid(int fd, const char *prefix, const char *tag, pid_t pid)
{
    char buf[NAME_MAX + 64];
    int n = snprintf(buf, sizeof buf, "%s%s %ld\n", prefix, tag, (long)pid);
    if (n < 0 || (size_t)n >= sizeof buf) {
        errno = EOVERFLOW;
        return -1;
    }
    return ax_append_line(fd, buf, (size_t)n);
}

/* ------------------------------------------------------------------------- */
/* JSON                                                                       */

/* A growable byte buffer; `failed` latches allocation failure. */
struct jbuf {
    char *p;
    size_t len, cap;
    bool failed;
};

static void jb_put(struct jbuf *j, const char *s, size_t n)
{
    if (j->failed)
        return;
    if (n > SIZE_MAX / 2 - j->len) {
        j->failed = true;
        return;
    }
    if (j->len + n > j->cap) {
        size_t cap = j->cap ? j->cap : 256;
        while (cap < j->len + n)
            cap *= 2;
        char *np = realloc(j->p, cap);
        if (!np) {
            j->failed = true;
            return;
        }
        j->p = np;
        j->cap = cap;
    }
    memcpy(j->p + j->len, s, n);
    j->len += n;
}

static void jb_puts(struct jbuf *j, const char *s) { jb_put(j, s, strlen(s)); }

static void jb_int(struct jbuf *j, long v)
{
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld", v);
    if (n > 0 && (size_t)n < sizeof buf)
        jb_put(j, buf, (size_t)n);
    else
        j->failed = true;
}

/*
 * Length of the valid UTF-8 sequence at s (1-4), or 0 if the bytes there are not
 * valid UTF-8 (bad lead, truncated, overlong, surrogate, above U+10FFFF).
 */
static size_t utf8_seq_len(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        cp = c & 0x07;
    } else {
        return 0;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

/* Append s as a JSON string; invalid UTF-8 bytes become U+FFFD. */
static void jb_str(struct jbuf *j, const char *str)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)str;
    jb_put(j, "\"", 1);
    while (*s) {
        unsigned c = *s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            jb_put(j, e, 2);
            s++;
        } else if (c < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            switch (c) {
            case '\n': jb_put(j, "\\n", 2); break;
            case '\r': jb_put(j, "\\r", 2); break;
            case '\t': jb_put(j, "\\t", 2); break;
            default: jb_put(j, e, 6); break;
            }
            s++;
        } else {
            size_t n = utf8_seq_len(s);
            if (n == 0) {
                jb_puts(j, "\\ufffd");
                s++;
            } else {
                jb_put(j, (const char *)s, n);
                s += n;
            }
        }
    }
    jb_put(j, "\"", 1);
}

int ax_write_exit_record(int status_fd, const char *prefix, const struct ax_exit_record *rec)
{
    struct jbuf j = {0};
    jb_puts(&j, prefix);
    jb_puts(&j, "exit {\"exitCode\":");
    jb_int(&j, rec->exit_code);
    if (rec->signal > 0) {
        jb_puts(&j, ",\"signal\":");
        jb_int(&j, rec->signal);
    }
    if (rec->error && rec->error[0]) {
        jb_puts(&j, ",\"error\":");
        jb_str(&j, rec->error);
    }
    if (rec->nmissing > 0) {
        jb_puts(&j, ",\"missingOutputs\":[");
        for (size_t i = 0; i < rec->nmissing; i++) {
            if (i > 0)
                jb_put(&j, ",", 1);
            jb_str(&j, rec->missing[i]);
        }
        jb_put(&j, "]", 1);
    }
    jb_puts(&j, "}\n");
    int rc;
    if (j.failed) {
        errno = ENOMEM;
        rc = -1;
    } else {
        rc = ax_append_line(status_fd, j.p, j.len);
    }
    int saved = errno;
    free(j.p);
    errno = saved;
    return rc;
}

/* ------------------------------------------------------------------------- */
/* Output copies                                                              */

/* Copy the rest of in to out. */
static int copy_contents(int in, int out)
{
    for (;;) {
        ssize_t n = read(in, copy_buf, sizeof copy_buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            return 0;
        if (ax_write_all(out, copy_buf, (size_t)n) < 0)
            return -1;
    }
}

static int copy_node(int src_fd, const struct stat *expected, int dst_dirfd, const char *name,
                     int depth);

/* Copy regular file src_fd to name in dst_dirfd, fsynced. Does not close src_fd. */
static int copy_file(int src_fd, const struct stat *st, int dst_dirfd, const char *name)
{
    int out = openat(dst_dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW,
                     (st->st_mode & 0777) | 0600);
    if (out < 0)
        return -1;
    int err = 0;
    if (copy_contents(src_fd, out) < 0 || fsync(out) < 0)
        err = errno;
    close_keep_err(out, &err);
    errno = err;
    return err ? -1 : 0;
}

/*
 * Copy the entries of directory src_fd into the directory name in dst_dirfd.
 * Takes ownership of src_fd. Symlinks and special files are skipped: only what the
 * step wrote as plain files and directories is an output.
 */
static int copy_dir(int src_fd, const struct stat *st, int dst_dirfd, const char *name, int depth)
{
    if (depth > AX_COPY_MAX_DEPTH) {
        (void)close(src_fd);
        errno = ELOOP;
        return -1;
    }
    DIR *dir = fdopendir(src_fd);
    if (!dir) {
        int e = errno;
        (void)close(src_fd);
        errno = e;
        return -1;
    }
    int err = 0;
    int out = -1;
    if (mkdirat(dst_dirfd, name, (st->st_mode & 0777) | 0700) < 0 && errno != EEXIST)
        err = errno;
    if (err == 0) {
        out = openat(dst_dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (out < 0)
            err = errno;
    }
    while (err == 0) {
        errno = 0;
        struct dirent *de = readdir(dir);
        if (!de) {
            err = errno; /* 0 at the end of the directory */
            break;
        }
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat cst;
        if (fstatat(dirfd(dir), de->d_name, &cst, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) /* vanished meanwhile (an escaped process?) */
                continue;
            err = errno;
            break;
        }
        if (!S_ISREG(cst.st_mode) && !S_ISDIR(cst.st_mode))
            continue;
        int cfd = openat(dirfd(dir), de->d_name,
                         O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK);
        if (cfd < 0) {
            err = errno;
            break;
        }
        if (copy_node(cfd, &cst, out, de->d_name, depth + 1) < 0)
            err = errno;
    }
    if (err == 0 && fsync(out) < 0)
        err = errno;
    if (out >= 0)
        close_keep_err(out, &err);
    if (closedir(dir) < 0 && err == 0)
        err = errno;
    errno = err;
    return err ? -1 : 0;
}

/*
 * Copy the open file or directory src_fd (expected to match *expected) to name in
 * dst_dirfd. Takes ownership of src_fd. 0: copied, 1: skipped (no longer the entry
 * that was stat'ed), -1 + errno: failed.
 */
static int copy_node(int src_fd, const struct stat *expected, int dst_dirfd, const char *name,
                     int depth)
{
    struct stat st;
    if (fstat(src_fd, &st) < 0) {
        int e = errno;
        (void)close(src_fd);
        errno = e;
        return -1;
    }
    /* The entry was swapped between stat and open: report it as skipped. */
    if (st.st_dev != expected->st_dev || st.st_ino != expected->st_ino) {
        (void)close(src_fd);
        return 1;
    }
    if (S_ISDIR(st.st_mode))
        return copy_dir(src_fd, &st, dst_dirfd, name, depth);
    int rc = 0, err = 0;
    if (S_ISREG(st.st_mode))
        rc = copy_file(src_fd, &st, dst_dirfd, name);
    if (rc < 0)
        err = errno;
    close_keep_err(src_fd, &err);
    errno = err;
    return err ? -1 : 0;
}

int ax_copy_path(const char *src_path, int dst_dirfd, const char *dst_name)
{
    struct stat st;
    if (stat(src_path, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
        errno = EINVAL; /* a fifo or device is not an output */
        return -1;
    }
    /* O_NONBLOCK: never hang on a fifo swapped in after the stat. */
    int fd = open(src_path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0)
        return -1;
    int rc = copy_node(fd, &st, dst_dirfd, dst_name, 0);
    if (rc > 0) {
        errno = ESTALE; /* replaced while being opened */
        return -1;
    }
    return rc;
}
