/*
 * Starts librdkafka's in-process mock cluster and keeps it up until standard input closes or
 * the process gets SIGINT/SIGTERM. The benchmark uses it as the baseline broker: the same client
 * workload against a broker that keeps everything in memory and does no I/O.
 *
 * usage: mock-cluster [brokers] [topic:partitions ...]
 *
 * Prints one line, the bootstrap servers ("127.0.0.1:port,..."), once the cluster listens.
 * Topics named on the command line are created up front so that no client needs auto-create.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static int create_topic(rd_kafka_mock_cluster_t *mcluster, const char *spec) {
        char name[512];
        const char *colon = strrchr(spec, ':');
        int partitions    = 1;
        size_t len        = colon ? (size_t)(colon - spec) : strlen(spec);

        if (len == 0 || len >= sizeof(name)) {
                fprintf(stderr, "mock-cluster: bad topic spec '%s'\n", spec);
                return -1;
        }
        memcpy(name, spec, len);
        name[len] = '\0';
        if (colon) {
                partitions = atoi(colon + 1);
                if (partitions < 1) {
                        fprintf(stderr, "mock-cluster: bad partition count in '%s'\n", spec);
                        return -1;
                }
        }
        if (rd_kafka_mock_topic_create(mcluster, name, partitions, 1) != RD_KAFKA_RESP_ERR_NO_ERROR) {
                fprintf(stderr, "mock-cluster: could not create topic '%s'\n", name);
                return -1;
        }
        return 0;
}

int main(int argc, char **argv) {
        char errstr[512];
        int brokers = argc > 1 ? atoi(argv[1]) : 1;
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_mock_cluster_t *mcluster;
        struct sigaction sa;
        char buf[256];
        int i;

        if (brokers < 1) {
                fprintf(stderr, "usage: mock-cluster [brokers] [topic:partitions ...]\n");
                return 2;
        }

        /* The mock cluster needs a client handle for its own bookkeeping; it sends nothing. */
        conf = rd_kafka_conf_new();
        if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
                fprintf(stderr, "mock-cluster: %s\n", errstr);
                return 1;
        }
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mock-cluster: rd_kafka_new: %s\n", errstr);
                return 1;
        }
        mcluster = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mcluster) {
                fprintf(stderr, "mock-cluster: rd_kafka_mock_cluster_new failed\n");
                rd_kafka_destroy(rk);
                return 1;
        }
        for (i = 2; i < argc; i++) {
                if (create_topic(mcluster, argv[i]) != 0) {
                        rd_kafka_mock_cluster_destroy(mcluster);
                        rd_kafka_destroy(rk);
                        return 1;
                }
        }

        /* No SA_RESTART: a signal interrupts the blocking read below. */
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);

        printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
        fflush(stdout);

        while (!stop_requested) {
                ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
                if (n == 0)
                        break;
                if (n < 0 && errno != EINTR)
                        break;
        }

        rd_kafka_mock_cluster_destroy(mcluster);
        rd_kafka_destroy(rk);
        return 0;
}
