/*
 * Transactional producers being fenced (spec §10 scenarios 14 and 15, §7).
 *
 * usage: txn-fence <bootstrap> <topic> <transactional-id> fence|hold [key=value ...]
 *
 * fence:   producer A initialises, begins and produces one record; producer B initialises with
 *          the same transactional id (the broker aborts A's transaction and bumps the epoch);
 *          A's commit must then fail. B then commits a transaction of its own.
 *          Prints {"mode":"fence","oldCommit":"<error name>","oldFatal":true|false,"newCommit":"ok"}
 * hold:    one producer initialises, begins, produces "first" to partition 0 and waits for its
 *          delivery, then prints {"stage":"open"} and waits for a line on stdin, holding the
 *          transaction open (the LSO stays at "first"). After the line it produces "second" and
 *          commits. With a short transaction.timeout.ms the broker aborts the transaction
 *          meanwhile and the commit must fail; otherwise it succeeds.
 *          Prints {"mode":"hold","commit":"ok"|"<error name>","fatal":true|false}
 *
 * fence exits 0 when the fenced commit failed as it must, 1 otherwise; hold exits 0 once the
 * commit returned (the caller judges its result); both exit 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#define CALL_TIMEOUT_MS 15000

static int argc_g;
static char **argv_g;

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "txn-fence: %s: %s\n", what, detail);
        exit(1);
}

static void fail_error(const char *what, rd_kafka_error_t *error) {
        fprintf(stderr, "txn-fence: %s: %s (%s)\n", what, rd_kafka_error_string(error),
                rd_kafka_err2name(rd_kafka_error_code(error)));
        rd_kafka_error_destroy(error);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
                fail(key, errstr);
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk;
        (void)opaque;
        if (m->err)
                fprintf(stderr, "txn-fence: delivery: %s\n", rd_kafka_err2name(m->err));
}

static rd_kafka_t *new_producer(const char *bootstrap, const char *txn_id) {
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_t *rk;
        int i;
        set(conf, "bootstrap.servers", bootstrap);
        set(conf, "transactional.id", txn_id);
        for (i = 5; i < argc_g; i++) {
                char key[256];
                const char *eq = strchr(argv_g[i], '=');
                size_t len;
                if (!eq || (len = (size_t)(eq - argv_g[i])) >= sizeof(key))
                        fail("bad option (want key=value)", argv_g[i]);
                memcpy(key, argv_g[i], len);
                key[len] = '\0';
                set(conf, key, eq + 1);
        }
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk)
                fail("rd_kafka_new", errstr);
        return rk;
}

static void produce_one(rd_kafka_t *rk, const char *topic, const char *value) {
        rd_kafka_resp_err_t err =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_VALUE((void *)value, strlen(value)),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (err)
                fprintf(stderr, "txn-fence: produce: %s\n", rd_kafka_err2name(err));
}

static void init_and_begin(rd_kafka_t *rk) {
        rd_kafka_error_t *error;
        if ((error = rd_kafka_init_transactions(rk, CALL_TIMEOUT_MS)))
                fail_error("init_transactions", error);
        if ((error = rd_kafka_begin_transaction(rk)))
                fail_error("begin_transaction", error);
}

/* Commits and reports the error it must fail with; NULL when it (wrongly) succeeded. */
static rd_kafka_error_t *commit(rd_kafka_t *rk) {
        return rd_kafka_commit_transaction(rk, CALL_TIMEOUT_MS);
}

static int run_fence(const char *bootstrap, const char *topic, const char *txn_id) {
        rd_kafka_t *old_producer = new_producer(bootstrap, txn_id);
        rd_kafka_t *new_producer_;
        rd_kafka_error_t *error;
        char errstr[256];
        int old_fatal;
        const char *old_name;

        init_and_begin(old_producer);
        produce_one(old_producer, topic, "from-old");
        rd_kafka_flush(old_producer, CALL_TIMEOUT_MS);

        new_producer_ = new_producer(bootstrap, txn_id);
        init_and_begin(new_producer_);

        error = commit(old_producer);
        if (!error) {
                fprintf(stderr, "txn-fence: the fenced producer's commit succeeded\n");
                return 1;
        }
        old_name  = rd_kafka_err2name(rd_kafka_error_code(error));
        old_fatal = rd_kafka_error_is_fatal(error) ||
                    rd_kafka_fatal_error(old_producer, errstr, sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR;
        fprintf(stderr, "txn-fence: old producer's commit failed: %s\n", rd_kafka_error_string(error));

        produce_one(new_producer_, topic, "from-new");
        if ((error = commit(new_producer_)))
                fail_error("new producer commit", error);

        printf("{\"mode\":\"fence\",\"oldCommit\":\"%s\",\"oldFatal\":%s,\"newCommit\":\"ok\"}\n", old_name,
               old_fatal ? "true" : "false");
        fflush(stdout);
        rd_kafka_destroy(new_producer_);
        rd_kafka_destroy(old_producer);
        return 0;
}

static int run_hold(const char *topic, rd_kafka_t *rk) {
        rd_kafka_error_t *error;
        char line[64];
        char errstr[256];
        int fatal;

        init_and_begin(rk);
        produce_one(rk, topic, "first");
        if (rd_kafka_flush(rk, CALL_TIMEOUT_MS))
                fail("flush", "record not delivered");
        printf("{\"stage\":\"open\"}\n");
        fflush(stdout);

        if (!fgets(line, sizeof(line), stdin))
                fail("stdin", "closed before the go-ahead");

        produce_one(rk, topic, "second");
        rd_kafka_flush(rk, CALL_TIMEOUT_MS);
        error = commit(rk);
        if (!error) {
                printf("{\"mode\":\"hold\",\"commit\":\"ok\",\"fatal\":false}\n");
                fflush(stdout);
                return 0;
        }
        fatal = rd_kafka_error_is_fatal(error) ||
                rd_kafka_fatal_error(rk, errstr, sizeof(errstr)) != RD_KAFKA_RESP_ERR_NO_ERROR;
        fprintf(stderr, "txn-fence: commit failed: %s\n", rd_kafka_error_string(error));
        printf("{\"mode\":\"hold\",\"commit\":\"%s\",\"fatal\":%s}\n",
               rd_kafka_err2name(rd_kafka_error_code(error)), fatal ? "true" : "false");
        fflush(stdout);
        rd_kafka_error_destroy(error);
        return 0;
}

int main(int argc, char **argv) {
        argc_g = argc;
        argv_g = argv;
        if (argc < 5) {
                fprintf(stderr, "usage: txn-fence <bootstrap> <topic> <txn-id> fence|hold [key=value ...]\n");
                return 2;
        }
        if (strcmp(argv[4], "fence") == 0)
                return run_fence(argv[1], argv[2], argv[3]);
        if (strcmp(argv[4], "hold") == 0) {
                rd_kafka_t *rk = new_producer(argv[1], argv[3]);
                int rc         = run_hold(argv[2], rk);
                rd_kafka_destroy(rk);
                return rc;
        }
        fprintf(stderr, "txn-fence: mode must be fence or hold\n");
        return 2;
}
