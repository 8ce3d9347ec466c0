/*
 * aead.c — ktls-bench-aead: the raw cost of sealing TLS records, no I/O. This separates "the
 * cipher code is slower" from "the record layer around it is slower" when a transfer
 * scenario differs.
 *
 * Two parts:
 *  - raw: full 16 KiB records (16 KiB + content type, 5-byte additional data) straight
 *    through each AEAD implementation a userspace record layer here can use: libsodium's
 *    ChaCha20-Poly1305, OpenSSL EVP ChaCha20-Poly1305 and AES-128-GCM (what libssl uses);
 *  - lib: records of each --records size sealed through libktls's own AEAD layer
 *    (lib/core/aead.c, as the record layer calls it: content from the caller's buffer, the
 *    type byte in place) with each ChaCha20-Poly1305 implementation forced, with the one
 *    the library chose for that size (its start-up measurement, see bench/README.md), and
 *    AES-128-GCM; plus how long that start-up measurement took.
 *
 * Output:
 *   aead,where,impl,cipher,record_bytes,cpu_s_per_gib                (raw, median)
 *   aeadlib,where,impl,cipher,record_bytes,cpu_s_per_gib,ns_per_record,chosen
 *       impl: libsodium, openssl-evp, chosen (the library's pick), or openssl-evp for
 *       aes128; chosen: the implementation the library uses at that size
 *   aeadchoice,where,measure_us,crossover_bytes,below,from
 *       the start-up measurement's wall time, and its answer: `below` serves plaintexts
 *       (content + type byte) shorter than crossover_bytes, `from` the rest
 * CPU time of this process, median of the repetitions.
 */
#include "common.h"

#include "aead.h"
#include "ktls.h"

#include <getopt.h>
#include <stdbool.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REC (16384 + 1)
#define MAX_REPS 64
#define MAX_SIZES 8

static double run_sodium(size_t total)
{
	static uint8_t in[REC], out[REC + 16], key[32], nonce[12], ad[5];
	unsigned long long olen;
	struct bench_cpu c0, c1;
	bench_cpu_now(&c0);
	for (size_t done = 0; done < total; done += REC - 1) {
		nonce[11]++;
		crypto_aead_chacha20poly1305_ietf_encrypt(out, &olen, in, REC, ad, sizeof(ad), NULL,
							  nonce, key);
	}
	bench_cpu_now(&c1);
	return c1.user + c1.sys - c0.user - c0.sys;
}

static double run_evp(const EVP_CIPHER *cipher, size_t total)
{
	static uint8_t in[REC], out[REC + 16], key[32], nonce[12], ad[5];
	int len;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	struct bench_cpu c0, c1;
	if (!c || !EVP_EncryptInit_ex(c, cipher, NULL, key, nonce))
		bench_die("EVP_EncryptInit_ex failed");
	bench_cpu_now(&c0);
	for (size_t done = 0; done < total; done += REC - 1) {
		nonce[11]++;
		if (!EVP_EncryptInit_ex(c, NULL, NULL, NULL, nonce) ||
		    !EVP_EncryptUpdate(c, NULL, &len, ad, sizeof(ad)) ||
		    !EVP_EncryptUpdate(c, out, &len, in, REC) || !EVP_EncryptFinal_ex(c, out + len, &len) ||
		    !EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, out + REC))
			bench_die("EVP encryption failed");
	}
	bench_cpu_now(&c1);
	EVP_CIPHER_CTX_free(c);
	return c1.user + c1.sys - c0.user - c0.sys;
}

/* Seals records of `bytes` content through lib/core/aead with impl (AUTO: the library's
 * choice) until total bytes went, as ktls_record_seal does it. Returns CPU seconds. */
static double run_lib(uint16_t suite, enum ktls_aead_impl impl, size_t bytes, size_t total)
{
	static uint8_t in[REC], out[REC + 16], key[32];
	uint8_t nonce[12] = { 0 }, ad[5] = { 23, 3, 3, 0, 0 };
	struct ktls_aead a;
	struct bench_cpu c0, c1;
	if (ktls_aead_init(&a, ktls_suite_find(suite), key) ||
	    (suite == KTLS_TLS_CHACHA20_POLY1305_SHA256 && ktls_aead_force_impl(&a, impl)))
		bench_die("lib/core/aead: cannot key %s", impl == KTLS_AEAD_IMPL_EVP ? "EVP" : "it");
	bench_cpu_now(&c0);
	for (size_t done = 0; done < total; done += bytes) {
		nonce[11]++;
		out[bytes] = 23; /* the content type, in place after the content */
		if (ktls_aead_seal_gather(&a, nonce, ad, sizeof(ad), in, bytes, bytes + 1, out))
			bench_die("lib/core/aead: sealing failed");
	}
	bench_cpu_now(&c1);
	ktls_aead_free(&a);
	return c1.user + c1.sys - c0.user - c0.sys;
}

static const char *impl_name(enum ktls_aead_impl impl)
{
	return impl == KTLS_AEAD_IMPL_EVP ? "openssl-evp" : "libsodium";
}

int main(int argc, char **argv)
{
	size_t total = 1u << 30, lib_total = 0, sizes[MAX_SIZES] = { 256, 1024, 16384 };
	int reps = 5, nsizes = 3;
	const char *where = "native";
	static const struct option lo[] = {
		{ "size", 1, 0, 'n' }, { "lib-size", 1, 0, 'L' }, { "records", 1, 0, 'r' },
		{ "reps", 1, 0, 'R' }, { "where", 1, 0, 'W' }, { "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-aead";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'n': if (bench_parse_size(optarg, &total)) bench_die("bad --size"); break;
		case 'L': if (bench_parse_size(optarg, &lib_total)) bench_die("bad --lib-size"); break;
		case 'r':
			nsizes = 0;
			for (char *tok = strtok(optarg, ","); tok; tok = strtok(NULL, ",")) {
				if (nsizes == MAX_SIZES || bench_parse_size(tok, &sizes[nsizes]) ||
				    !sizes[nsizes] || sizes[nsizes] > 16384)
					bench_die("bad --records (sizes 1..16K, at most %d)", MAX_SIZES);
				nsizes++;
			}
			break;
		case 'R': reps = atoi(optarg); break;
		case 'W': where = optarg; break;
		case 'h':
			printf("Usage: ktls-bench-aead [--size N (1G)] [--lib-size N (--size / 16)]\n"
			       "                       [--records LIST (256,1K,16K)] [--reps R (5)] [--where LABEL]\n"
			       "CPU seconds per GiB sealed: full 16 KiB TLS records straight through libsodium\n"
			       "and OpenSSL EVP (--size bytes each), then records of each --records size through\n"
			       "libktls's AEAD layer with each ChaCha20-Poly1305 implementation, the one the\n"
			       "library chose for that size, and AES-128-GCM (--lib-size bytes each).\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc || reps < 1 || reps > MAX_REPS || !nsizes)
		bench_die("bad arguments (try --help)");
	if (!lib_total)
		lib_total = total / 16 ? total / 16 : 1;
	if (sodium_init() < 0)
		bench_die("sodium_init failed");

	/* the library's one-time measurement, timed on its own: nothing above ran it, and
	 * OpenSSL's process-wide first-use initialisation (a few ms, which any process using
	 * libcrypto pays once anyway) is done before the clock starts; the library context the
	 * measurement sets up for itself is counted */
	EVP_CIPHER_free(EVP_CIPHER_fetch(NULL, "ChaCha20-Poly1305", NULL));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)ktls_aead_chacha_choice(0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double measure_us = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;

	static const char *const names[][2] = { { "libsodium", "chacha20" }, { "openssl-evp", "chacha20" },
						{ "openssl-evp", "aes128" } };
	printf("# aead,where,impl,cipher,record_bytes,cpu_s_per_gib\n");
	for (int k = 0; k < 3; k++) {
		double v[MAX_REPS];
		for (int r = 0; r < reps; r++) {
			double s = k == 0 ? run_sodium(total)
				 : run_evp(k == 1 ? EVP_chacha20_poly1305() : EVP_aes_128_gcm(), total);
			v[r] = s / ((double)total / GIB);
		}
		double med = bench_median(v, reps, NULL, NULL);
		printf("aead,%s,%s,%s,%d,%.4f\n", where, names[k][0], names[k][1], REC - 1, med);
		fprintf(stderr, "aead: %-12s %-9s %.3f CPU s/GiB\n", names[k][0], names[k][1], med);
	}

	/* through lib/core/aead: the implementations interleaved within each repetition, so a
	 * busy machine slows them alike */
	static const struct { const char *impl, *cipher; uint16_t suite; enum ktls_aead_impl force; } lib[] = {
		{ "libsodium", "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_AEAD_IMPL_SODIUM },
		{ "openssl-evp", "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_AEAD_IMPL_EVP },
		{ "chosen", "chacha20", KTLS_TLS_CHACHA20_POLY1305_SHA256, KTLS_AEAD_IMPL_AUTO },
		{ "openssl-evp", "aes128", KTLS_TLS_AES_128_GCM_SHA256, KTLS_AEAD_IMPL_AUTO },
	};
	enum { NLIB = sizeof(lib) / sizeof(lib[0]) };
	printf("# aeadlib,where,impl,cipher,record_bytes,cpu_s_per_gib,ns_per_record,chosen\n");
	for (int i = 0; i < nsizes; i++) {
		size_t bytes = sizes[i], total_i = lib_total < bytes ? bytes : lib_total;
		double v[NLIB][MAX_REPS];
		const char *chosen = impl_name(ktls_aead_chacha_choice(bytes + 1));
		for (int r = 0; r < reps; r++)
			for (int k = 0; k < NLIB; k++)
				v[k][r] = run_lib(lib[k].suite, lib[k].force, bytes, total_i) /
					  ((double)total_i / GIB);
		for (int k = 0; k < NLIB; k++) {
			double med = bench_median(v[k], reps, NULL, NULL), ns = med / GIB * (double)bytes * 1e9;
			bool chacha = lib[k].suite == KTLS_TLS_CHACHA20_POLY1305_SHA256;
			printf("aeadlib,%s,%s,%s,%zu,%.4f,%.1f,%s\n", where, lib[k].impl, lib[k].cipher,
			       bytes, med, ns, chacha ? chosen : "openssl-evp");
			fprintf(stderr, "aead: lib/core/aead %-11s %-8s %5zu B records: %.3f CPU s/GiB, "
				"%.0f ns/record\n", lib[k].impl, lib[k].cipher, bytes, med, ns);
		}
		fprintf(stderr, "aead: the library chose %s for %zu-byte records\n", chosen, bytes);
	}
	size_t x = ktls_aead_chacha_crossover();
	const char *below = impl_name(ktls_aead_chacha_choice(0));
	const char *above = impl_name(ktls_aead_chacha_choice(SIZE_MAX));
	printf("# aeadchoice,where,measure_us,crossover_bytes,below,from\n"
	       "aeadchoice,%s,%.0f,%zu,%s,%s\n", where, measure_us, x == SIZE_MAX ? 0 : x, below, above);
	fprintf(stderr, "aead: the library's start-up measurement took %.0f us: ChaCha20-Poly1305 "
		"by %s below %zu plaintext bytes, by %s from there\n", measure_us, below,
		x == SIZE_MAX ? 0 : x, above);
	return 0;
}
