/*
 * An idempotent producer with several requests in flight (spec §10 scenario 6, §4).
 *
 * usage: idempotent <bootstrap> <topic> <count> [key=value ...]
 *
 * Produces <count> records "0".."count-1" to partition 0 of <topic> with
 * enable.idempotence=true, max.in.flight=5 and tiny batches, so the broker sees many
 * sequence-numbered batches pipelined on one connection. Checks from the delivery reports that
 * every record was delivered once and that offsets follow production order (idempotence keeps
 * order across retries), and that the producer raised no fatal error.
 *
 * Prints one JSON line: {"delivered":N,"firstOffset":O,"lastOffset":O,"inOrder":true}
 * Exits 1 on any failed check (details on stderr), 2 on bad usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <librdkafka/rdkafka.h>

#define FLUSH_TIMEOUT_MS 30000

static int delivered      = 0;
static int failed         = 0;
static int out_of_order   = 0;
static int64_t first_offset = -1;
static int64_t last_offset  = -1;

static void fail(const char *what, const char *detail) {
        fprintf(stderr, "idempotent: %s: %s\n", what, detail);
        exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *key, const char *value) {
        char errstr[512];
        if (rd_kafka_conf_set(conf, key, value, errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)
                fail(key, errstr);
}

/* The record's sequence number is its value; offset - first must equal it. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        char value[32];
        long index;
        (void)rk;
        (void)opaque;
        if (m->err) {
                failed++;
                fprintf(stderr, "idempotent: delivery failed: %s\n", rd_kafka_err2str(m->err));
                return;
        }
        if (m->len >= sizeof(value))
                fail("delivery", "unexpected value length");
        memcpy(value, m->payload, m->len);
        value[m->len] = '\0';
        index = strtol(value, NULL, 10);
        if (first_offset < 0)
                first_offset = m->offset - index;
        if (m->offset != first_offset + index) {
                out_of_order++;
                fprintf(stderr, "idempotent: record %ld at offset %lld, expected %lld\n", index,
                        (long long)m->offset, (long long)(first_offset + index));
        }
        if (m->offset > last_offset)
                last_offset = m->offset;
        delivered++;
}

int main(int argc, char **argv) {
        char errstr[512];
        rd_kafka_conf_t *conf;
        rd_kafka_t *rk;
        rd_kafka_resp_err_t err;
        int count, i;

        if (argc < 4) {
                fprintf(stderr, "usage: idempotent <bootstrap> <topic> <count> [key=value ...]\n");
                return 2;
        }
        count = atoi(argv[3]);
        if (count < 1) {
                fprintf(stderr, "idempotent: count must be >= 1\n");
                return 2;
        }

        conf = rd_kafka_conf_new();
        set(conf, "bootstrap.servers", argv[1]);
        set(conf, "enable.idempotence", "true");
        set(conf, "max.in.flight.requests.per.connection", "5");
        /* Small batches and no linger: many sequence-numbered requests in flight at once. */
        set(conf, "batch.num.messages", "7");
        set(conf, "linger.ms", "0");
        for (i = 4; i < argc; i++) {
                char key[256];
                const char *eq = strchr(argv[i], '=');
                size_t len;
                if (!eq || (len = (size_t)(eq - argv[i])) >= sizeof(key))
                        fail("bad option (want key=value)", argv[i]);
                memcpy(key, argv[i], len);
                key[len] = '\0';
                set(conf, key, eq + 1);
        }
        rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
        rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk)
                fail("rd_kafka_new", errstr);

        for (i = 0; i < count; i++) {
                char value[32];
                int len = snprintf(value, sizeof(value), "%d", i);
                do {
                        err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(argv[2]), RD_KAFKA_V_PARTITION(0),
                                                RD_KAFKA_V_VALUE(value, (size_t)len),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
                        if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
                                rd_kafka_poll(rk, 10);
                } while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
                if (err)
                        fail("produce", rd_kafka_err2str(err));
                rd_kafka_poll(rk, 0);
        }
        err = rd_kafka_flush(rk, FLUSH_TIMEOUT_MS);
        if (err)
                fail("flush", rd_kafka_err2str(err));

        err = rd_kafka_fatal_error(rk, errstr, sizeof(errstr));
        if (err)
                fail("fatal error", errstr);
        if (failed || out_of_order || delivered != count) {
                fprintf(stderr, "idempotent: delivered %d of %d, %d failed, %d out of order\n", delivered,
                        count, failed, out_of_order);
                return 1;
        }
        printf("{\"delivered\":%d,\"firstOffset\":%lld,\"lastOffset\":%lld,\"inOrder\":true}\n", delivered,
               (long long)first_offset, (long long)last_offset);
        fflush(stdout);
        rd_kafka_destroy(rk);
        return 0;
}
