/*
 * Consume-transform-produce with librdkafka's transactional API (spec §10 scenario 13).
 *
 * usage: eos <bootstrap> <input-topic> <output-topic> <group> <transactional-id> <count>
 *            <commit|abort|hold> [key=value ...]
 *
 * Joins <group> on <input-topic> (read_committed, no auto commit), reads <count> records, and
 * in one transaction writes each value upper-cased, with its key and headers, to <output-topic>,
 * hands the consumer's positions to the transaction with send_offsets_to_transaction (which
 * carries the consumer's group metadata), then commits or aborts. Extra key=value arguments are
 * set on both clients (debug=..., session.timeout.ms=...).
 *
 * hold commits too, but first prints {"stage":"offsets-sent"} once the offsets are part of the
 * transaction and waits for a line on stdin, so a test can look at the group's offsets and the
 * output topic while the transaction is still open.
 *
 * Prints one JSON line on success:
 *   {"result":"committed","consumed":N,"produced":N,"offsets":[{"topic":..,"partition":..,"offset":..}]}
 * Exits 1 with a message on stderr on any error, 2 on bad usage.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

/* Upper bound for every blocking transactional call and for the whole consume phase. */
#define CALL_TIMEOUT_MS 20000
#define CONSUME_DEADLINE_MS 30000

static int64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "eos: %s: %s\n", what, detail);
        exit(1);
}

static void fail_error(const char *what, rd_kafka_error_t *error) {
        fprintf(stderr, "eos: %s: %s (%s)%s%s\n", what, rd_kafka_error_string(error),
                rd_kafka_err2name(rd_kafka_error_code(error)),
                rd_kafka_error_is_fatal(error) ? " fatal" : "",
                rd_kafka_error_txn_requires_abort(error) ? " abortable" : "");
        rd_kafka_error_destroy(error);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
                fail(key, errstr);
}

/* Applies the trailing key=value arguments. */
static void set_extra(rd_kafka_conf_t *conf, int argc, char **argv, int first) {
        int i;
        for (i = first; i < argc; i++) {
                char key[256];
                const char *eq = strchr(argv[i], '=');
                size_t len;
                if (!eq)
                        fail("bad option (want key=value)", argv[i]);
                len = (size_t)(eq - argv[i]);
                if (len >= sizeof(key))
                        fail("option name too long", argv[i]);
                memcpy(key, argv[i], len);
                key[len] = '\0';
                set(conf, key, eq + 1);
        }
}

/* Delivery failures inside a transaction surface again at commit; counting them keeps the
 * printed result honest. */
static int delivery_errors = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk;
        (void)opaque;
        if (m->err) {
                delivery_errors++;
                fprintf(stderr, "eos: delivery failed: %s\n", rd_kafka_err2str(m->err));
        }
}

/* Partitions this run read nothing from have no position (RD_KAFKA_OFFSET_INVALID); they are
 * left out so only real positions are committed and printed. Takes ownership of \p all. */
static rd_kafka_topic_partition_list_t *only_consumed(rd_kafka_topic_partition_list_t *all) {
        rd_kafka_topic_partition_list_t *kept = rd_kafka_topic_partition_list_new(all->cnt);
        int i;
        for (i = 0; i < all->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &all->elems[i];
                if (p->offset >= 0)
                        rd_kafka_topic_partition_list_add(kept, p->topic, p->partition)->offset = p->offset;
        }
        rd_kafka_topic_partition_list_destroy(all);
        return kept;
}

static void print_offsets(const rd_kafka_topic_partition_list_t *offsets) {
        int i;
        printf("\"offsets\":[");
        for (i = 0; i < offsets->cnt; i++) {
                const rd_kafka_topic_partition_t *p = &offsets->elems[i];
                printf("%s{\"topic\":\"%s\",\"partition\":%d,\"offset\":%lld}", i ? "," : "",
                       p->topic, (int)p->partition, (long long)p->offset);
        }
        printf("]");
}

int main(int argc, char **argv) {
        char errstr[512];
        const char *bootstrap, *input, *output, *group, *txn_id, *mode;
        int count, consumed = 0, produced = 0, commit, hold;
        rd_kafka_conf_t *pconf, *cconf;
        rd_kafka_t *producer, *consumer;
        rd_kafka_topic_partition_list_t *subscription, *offsets;
        rd_kafka_consumer_group_metadata_t *group_metadata;
        rd_kafka_resp_err_t err;
        rd_kafka_error_t *error;
        int64_t deadline;

        if (argc < 8) {
                fprintf(stderr, "usage: eos <bootstrap> <input> <output> <group> <txn-id> <count> "
                                "<commit|abort|hold> [key=value ...]\n");
                return 2;
        }
        bootstrap = argv[1];
        input     = argv[2];
        output    = argv[3];
        group     = argv[4];
        txn_id    = argv[5];
        count     = atoi(argv[6]);
        mode      = argv[7];
        hold = strcmp(mode, "hold") == 0;
        if (count < 1 || (strcmp(mode, "commit") != 0 && strcmp(mode, "abort") != 0 && !hold)) {
                fprintf(stderr, "eos: count must be >= 1 and mode commit, abort or hold\n");
                return 2;
        }
        commit = hold || strcmp(mode, "commit") == 0;

        cconf = rd_kafka_conf_new();
        set(cconf, "bootstrap.servers", bootstrap);
        set(cconf, "group.id", group);
        set(cconf, "enable.auto.commit", "false");
        set(cconf, "auto.offset.reset", "earliest");
        set(cconf, "isolation.level", "read_committed");
        set_extra(cconf, argc, argv, 8);
        consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, errstr, sizeof(errstr));
        if (!consumer)
                fail("consumer", errstr);
        rd_kafka_poll_set_consumer(consumer);

        pconf = rd_kafka_conf_new();
        set(pconf, "bootstrap.servers", bootstrap);
        set(pconf, "transactional.id", txn_id);
        rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
        set_extra(pconf, argc, argv, 8);
        producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, errstr, sizeof(errstr));
        if (!producer)
                fail("producer", errstr);

        if ((error = rd_kafka_init_transactions(producer, CALL_TIMEOUT_MS)))
                fail_error("init_transactions", error);

        subscription = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(subscription, input, RD_KAFKA_PARTITION_UA);
        if ((err = rd_kafka_subscribe(consumer, subscription)))
                fail("subscribe", rd_kafka_err2str(err));
        rd_kafka_topic_partition_list_destroy(subscription);

        if ((error = rd_kafka_begin_transaction(producer)))
                fail_error("begin_transaction", error);

        deadline = now_ms() + CONSUME_DEADLINE_MS;
        while (consumed < count) {
                rd_kafka_message_t *in;
                rd_kafka_headers_t *headers = NULL;
                char *value;
                size_t i;

                if (now_ms() > deadline) {
                        fprintf(stderr, "eos: consumed %d of %d before the deadline\n", consumed, count);
                        return 1;
                }
                in = rd_kafka_consumer_poll(consumer, 200);
                rd_kafka_poll(producer, 0);
                if (!in)
                        continue;
                if (in->err) {
                        if (in->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                                fprintf(stderr, "eos: consume: %s\n", rd_kafka_message_errstr(in));
                        rd_kafka_message_destroy(in);
                        continue;
                }
                consumed++;

                value = malloc(in->len + 1);
                if (!value)
                        fail("malloc", "out of memory");
                for (i = 0; i < in->len; i++)
                        value[i] = (char)toupper(((const unsigned char *)in->payload)[i]);
                /* The producer takes ownership of the headers; records without any get an empty list. */
                if (rd_kafka_message_headers(in, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR)
                        headers = rd_kafka_headers_copy(headers);
                else
                        headers = rd_kafka_headers_new(0);

                err = rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(output),
                                        RD_KAFKA_V_KEY(in->key, in->key_len),
                                        RD_KAFKA_V_VALUE(value, in->len),
                                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
                                        RD_KAFKA_V_HEADERS(headers),
                                        RD_KAFKA_V_END);
                if (err)
                        fail("produce", rd_kafka_err2str(err));
                produced++;
                rd_kafka_message_destroy(in);
        }

        /* Deliver the outputs before ending the transaction: abort_transaction would otherwise
         * purge records still queued, and an abort test needs aborted data in the log. */
        if ((err = rd_kafka_flush(producer, CALL_TIMEOUT_MS)))
                fail("flush", rd_kafka_err2str(err));
        if (delivery_errors > 0)
                fail("flush", "some records failed delivery");

        /* Positions are the next offsets to read: exactly what the group must resume from. */
        if ((err = rd_kafka_assignment(consumer, &offsets)))
                fail("assignment", rd_kafka_err2str(err));
        if ((err = rd_kafka_position(consumer, offsets)))
                fail("position", rd_kafka_err2str(err));
        offsets = only_consumed(offsets);
        group_metadata = rd_kafka_consumer_group_metadata(consumer);
        if ((error = rd_kafka_send_offsets_to_transaction(producer, offsets, group_metadata,
                                                          CALL_TIMEOUT_MS)))
                fail_error("send_offsets_to_transaction", error);
        rd_kafka_consumer_group_metadata_destroy(group_metadata);

        if (hold) {
                char line[64];
                printf("{\"stage\":\"offsets-sent\"}\n");
                fflush(stdout);
                /* librdkafka heartbeats from its own thread meanwhile; the caller must answer
                 * within max.poll.interval.ms or the consumer leaves the group. */
                if (!fgets(line, sizeof(line), stdin))
                        fail("stdin", "closed before the go-ahead");
        }

        if (commit) {
                if ((error = rd_kafka_commit_transaction(producer, CALL_TIMEOUT_MS)))
                        fail_error("commit_transaction", error);
        } else {
                if ((error = rd_kafka_abort_transaction(producer, CALL_TIMEOUT_MS)))
                        fail_error("abort_transaction", error);
        }

        printf("{\"result\":\"%s\",\"consumed\":%d,\"produced\":%d,", commit ? "committed" : "aborted",
               consumed, produced);
        print_offsets(offsets);
        printf("}\n");
        fflush(stdout);
        rd_kafka_topic_partition_list_destroy(offsets);

        rd_kafka_consumer_close(consumer);
        rd_kafka_destroy(consumer);
        rd_kafka_destroy(producer);
        return 0;
}
