/*
 * The C side of BlasBench: cblas_sgemm on n x n row-major matrices, called directly, so that the
 * Java numbers (Graft -> FFM -> the same libopenblas.so.0) have a peer measured the same way.
 * Built and run by run-blas-bench.sh against the library Graft loads.
 *
 *   sgemm N [N ...]    prints one line per N:
 *                      "n <N> ns_per_call <median> best <min> gflops <at median> other_cpu <cores>"
 *
 * Per size: warm up for 0.3 s, then 5 rounds of at least 1 s (or 3 calls) each, like JMH's 1-s
 * iterations. other_cpu is how many cores other processes kept busy meanwhile (from /proc/stat,
 * steal included, minus this process's own CPU time), the same measure as bench's
 * ContentionProfiler: on a shared machine it says whether a number was taken next to someone's build.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>

/* declared here rather than taken from cblas.h, so nothing beyond the shared library is needed */
enum { CblasRowMajor = 101, CblasNoTrans = 111 };
extern void cblas_sgemm(int order, int transa, int transb, int m, int n, int k, float alpha, const float *a, int lda,
                        const float *b, int ldb, float beta, float *c, int ldc);
extern char *openblas_get_config(void);
extern char *openblas_get_corename(void);
extern int openblas_get_num_threads(void);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU seconds every process used so far (busy jiffies of the whole machine, steal included) */
static double machine_busy(void) {
    unsigned long long v[8] = {0};
    FILE *f = fopen("/proc/stat", "r");
    if (!f) {
        return 0;
    }
    if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
        v[0] = v[1] = v[2] = v[5] = v[6] = v[7] = 0;
    }
    fclose(f);
    /* user nice system [idle iowait] irq softirq steal */
    return (double) (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / sysconf(_SC_CLK_TCK);
}

static double self_cpu(void) {
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *) x, b = *(const double *) y;
    return a < b ? -1 : a > b;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s N [N ...]\n", argv[0]);
        return 64;
    }
    printf("# %s; core %s; %d threads\n", openblas_get_config(), openblas_get_corename(), openblas_get_num_threads());
    srand(1);
    for (int i = 1; i < argc; i++) {
        int n = atoi(argv[i]);
        size_t len = (size_t) n * n;
        float *a = malloc(len * sizeof(float)), *b = malloc(len * sizeof(float)), *c = calloc(len, sizeof(float));
        if (!a || !b || !c) {
            fprintf(stderr, "out of memory at n = %d\n", n);
            return 1;
        }
        for (size_t j = 0; j < len; j++) {
            a[j] = (float) rand() / RAND_MAX - 0.5f;
            b[j] = (float) rand() / RAND_MAX - 0.5f;
        }
        double t0 = now();
        while (now() - t0 < 0.3) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        }
        double rounds[5], other = 0, elapsed = 0;
        for (int r = 0; r < 5; r++) {
            long calls = 0;
            double busy0 = machine_busy(), self0 = self_cpu();
            double s = now(), e;
            do {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
                calls++;
                e = now();
            } while (e - s < 1.0 || calls < 3);
            rounds[r] = (e - s) / calls;
            other += (machine_busy() - busy0) - (self_cpu() - self0);
            elapsed += e - s;
        }
        qsort(rounds, 5, sizeof(double), cmp);
        double t = rounds[2];
        double o = other / elapsed;
        printf("n %d ns_per_call %.1f best %.1f gflops %.2f other_cpu %.2f\n", n, t * 1e9, rounds[0] * 1e9,
               2.0 * n * n * n / t / 1e9, o < 0 ? 0 : o);
        fflush(stdout);
        free(a);
        free(b);
        free(c);
    }
    return 0;
}
