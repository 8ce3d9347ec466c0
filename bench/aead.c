/*
 * aead.c — ktls-bench-aead: the raw cost of sealing full TLS records (16 KiB + content type,
 * 5-byte additional data) with each AEAD implementation a userspace record layer here can
 * use: libsodium's ChaCha20-Poly1305 (what lib/core/aead.c uses), OpenSSL EVP ChaCha20-Poly1305
 * and AES-128-GCM (what OpenSSL libssl uses). No I/O: this separates "the cipher code is
 * slower" from "the record layer around it is slower" when a transfer scenario differs.
 *
 * Output: "aead,where,impl,cipher,record_bytes,cpu_s_per_gib" per implementation (median of
 * the repetitions, CPU time of this process).
 */
#include "common.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REC (16384 + 1)

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

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	size_t total = 1u << 30;
	int reps = 5;
	const char *where = "native";
	static const struct option lo[] = {
		{ "size", 1, 0, 'n' }, { "reps", 1, 0, 'R' }, { "where", 1, 0, 'W' },
		{ "help", 0, 0, 'h' }, { 0, 0, 0, 0 },
	};
	bench_prog = "ktls-bench-aead";
	for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
		switch (ch) {
		case 'n': if (bench_parse_size(optarg, &total)) bench_die("bad --size"); break;
		case 'R': reps = atoi(optarg); break;
		case 'W': where = optarg; break;
		case 'h':
			printf("Usage: ktls-bench-aead [--size N (1G)] [--reps R (5)] [--where LABEL]\n"
			       "CPU seconds per GiB sealed in 16 KiB TLS records, per AEAD implementation.\n");
			return 0;
		default: return 2;
		}
	}
	if (optind != argc || reps < 1 || reps > 64)
		bench_die("bad arguments (try --help)");
	if (sodium_init() < 0)
		bench_die("sodium_init failed");
	static const char *const names[][2] = { { "libsodium", "chacha20" }, { "openssl-evp", "chacha20" },
						{ "openssl-evp", "aes128" } };
	printf("# aead,where,impl,cipher,record_bytes,cpu_s_per_gib\n");
	for (int k = 0; k < 3; k++) {
		double v[64];
		for (int r = 0; r < reps; r++) {
			double s = k == 0 ? run_sodium(total)
				 : run_evp(k == 1 ? EVP_chacha20_poly1305() : EVP_aes_128_gcm(), total);
			v[r] = s / ((double)total / GIB);
		}
		qsort(v, (size_t)reps, sizeof(double), cmp_double);
		double med = reps % 2 ? v[reps / 2] : (v[reps / 2 - 1] + v[reps / 2]) / 2;
		printf("aead,%s,%s,%s,%d,%.4f\n", where, names[k][0], names[k][1], REC - 1, med);
		fprintf(stderr, "aead: %-12s %-9s %.3f CPU s/GiB\n", names[k][0], names[k][1], med);
	}
	return 0;
}
