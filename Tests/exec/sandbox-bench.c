/*
 * Per-step cost of argosy-exec, with and without --sandbox.
 *
 *   gcc -O2 -o /tmp/sandbox-bench Tests/exec/sandbox-bench.c
 *   /tmp/sandbox-bench [-n RUNS] [-d ROOT] BIN [BIN2...]
 *
 * For every run and every BIN (interleaved, so that drift hits all alike) it starts
 * `BIN --dir FRESH-DIR -- /bin/true` and `BIN --dir FRESH-DIR --sandbox -- /bin/true`
 * and reports the mean wall time per step. ROOT (default /dev/shm, a tmpfs: the exit
 * record's fsync is then nearly free and does not drown the sandbox's cost).
 */
#define _GNU_SOURCE
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static double run(const char *bin, const char *dir, int sandbox)
{
    char *argv[8];
    int i = 0;
    argv[i++] = (char *)bin;
    argv[i++] = "--dir";
    argv[i++] = (char *)dir;
    if (sandbox)
        argv[i++] = "--sandbox";
    argv[i++] = "--";
    argv[i++] = "/bin/true";
    argv[i] = NULL;
    double t0 = now_us();
    pid_t pid;
    if (posix_spawn(&pid, bin, NULL, NULL, argv, environ) != 0) {
        perror("posix_spawn");
        exit(2);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "%s failed (sandbox=%d) status %d\n", bin, sandbox, st);
        exit(2);
    }
    return now_us() - t0;
}

int main(int argc, char **argv)
{
    int n = 200, opt;
    const char *root = "/dev/shm";
    while ((opt = getopt(argc, argv, "n:d:")) != -1) {
        if (opt == 'n') n = atoi(optarg);
        else if (opt == 'd') root = optarg;
        else return 2;
    }
    int nb = argc - optind;
    if (nb < 1) {
        fprintf(stderr, "usage: sandbox-bench [-n RUNS] [-d ROOT] BIN...\n");
        return 2;
    }
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/sandbox-bench.XXXXXX", root);
    if (!mkdtemp(tmpl)) {
        perror("mkdtemp");
        return 2;
    }
    double *plain = calloc(nb, sizeof *plain), *sand = calloc(nb, sizeof *sand);
    for (int i = 0; i < n; i++) {
        for (int b = 0; b < nb; b++) {
            for (int s = 0; s < 2; s++) {
                char dir[4200];
                snprintf(dir, sizeof dir, "%s/%d.%d.%d", tmpl, i, b, s);
                if (mkdir(dir, 0755) < 0) {
                    perror(dir);
                    return 2;
                }
                double t = run(argv[optind + b], dir, s);
                (s ? sand : plain)[b] += t;
            }
        }
    }
    for (int b = 0; b < nb; b++)
        printf("%s: plain %.0f us, --sandbox %.0f us, sandbox cost %.0f us per step (n=%d)\n",
               argv[optind + b], plain[b] / n, sand[b] / n, (sand[b] - plain[b]) / n, n);
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    return system(cmd) == 0 ? 0 : 1;
}
