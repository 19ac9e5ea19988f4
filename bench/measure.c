/*
 * measure: run one command under a timeout and print what it cost, as one JSON line.
 *
 *   measure TIMEOUT_S LOGFILE CMD [ARGS...]
 *
 * The command runs in a new process group with stdin from /dev/null and stdout+stderr
 * appended to LOGFILE. Printed (on our stdout):
 *   rc          exit code (128+signal if killed); timeout true if TIMEOUT_S elapsed,
 *               in which case the whole process group got SIGKILL
 *   wall_s      CLOCK_MONOTONIC from just before fork to the reaped exit
 *   start_ns    CLOCK_REALTIME (ns since the epoch) just before fork: launch time, for
 *               start-latency probes
 *   user_s sys_s  CPU time of the whole process tree: we are a child subreaper
 *               (PR_SET_CHILD_SUBREAPER), so descendants orphaned by a daemonizing
 *               parent come back to us and are reaped here; the numbers are
 *               getrusage(RUSAGE_CHILDREN) after every descendant is reaped
 *   maxrss_mb   ru_maxrss of the same: peak RSS of the largest single process of the tree
 *   leftovers   descendants still alive 1 s after the command exited (then SIGKILLed)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t expired;
static pid_t child;

static void on_alarm(int sig)
{
    (void)sig;
    expired = 1;
    if (child > 0) kill(-child, SIGKILL);
}

int main(int argc, char **argv)
{
    if (argc < 4) { fprintf(stderr, "usage: measure TIMEOUT_S LOGFILE CMD [ARGS...]\n"); return 2; }
    unsigned timeout = (unsigned)atoi(argv[1]);
    const char *log = argv[2];
    struct timespec t0, t1, real0;
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    clock_gettime(CLOCK_REALTIME, &real0);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    child = fork();
    if (child < 0) { perror("fork"); return 2; }
    if (child == 0) {
        setpgid(0, 0);
        int in = open("/dev/null", O_RDONLY);
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (in >= 0) dup2(in, 0);
        if (out >= 0) { dup2(out, 1); dup2(out, 2); }
        execvp(argv[3], argv + 3);
        perror(argv[3]);
        _exit(127);
    }
    setpgid(child, child);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    if (timeout) alarm(timeout);
    int status;
    struct rusage ru;
    while (wait4(child, &status, 0, &ru) < 0) {}
    clock_gettime(CLOCK_MONOTONIC, &t1);
    alarm(0);
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* Reap the rest of the tree: give it 1 s, then kill whatever is left. */
    int leftovers = 0;
    for (int i = 0; i < 100; i++) {
        pid_t p;
        while ((p = waitpid(-1, NULL, WNOHANG)) > 0) {}
        if (p < 0) break; /* ECHILD: nothing left */
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    kill(-child, SIGKILL);
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pid = atoi(e->d_name);
        if (pid <= 0) continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f) continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        char *q = strrchr(buf, ')');
        int ppid = 0;
        char st;
        if (q && sscanf(q + 2, "%c %d", &st, &ppid) == 2 && ppid == getpid()) { leftovers++; kill(pid, SIGKILL); }
    }
    if (d) closedir(d);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
    getrusage(RUSAGE_CHILDREN, &ru);
    printf("{\"rc\": %d, \"timeout\": %s, \"wall_s\": %.6f, \"start_ns\": %lld, \"user_s\": %.6f, \"sys_s\": %.6f, \"maxrss_mb\": %.2f, \"leftovers\": %d}\n",
           rc, expired ? "true" : "false", wall,
           (long long)real0.tv_sec * 1000000000LL + real0.tv_nsec,
           (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
           (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
           (double)ru.ru_maxrss / 1024.0, leftovers);
    return 0;
}
