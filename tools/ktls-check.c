/*
 * ktls-check — can this kernel do kernel TLS, and how? Probes by doing (lib/kernel/probe.c) and
 * checks the running kernel's configuration against kernel-cfg/. See --help.
 */
#include "common/json.h"
#include "common/version.h"
#include "ktls.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kernel_cfg.h" /* kernel_cfg[]: generated from the fragments in kernel-cfg/ */

static const char usage[] =
	"Usage: ktls-check [--json] [--kernel-config [FILE]]\n"
	"\n"
	"Tells whether this kernel can do TLS 1.3 in the kernel (kTLS) and how, by trying it on\n"
	"a loopback TCP connection: the tls ULP, then for each cipher suite whether TLS_TX and\n"
	"TLS_RX install and really encrypt and decrypt (the kernel's records are opened with\n"
	"our own record layer), the zero-copy TX and no-pad RX options, TLS 1.3 rekey, and\n"
	"/proc/net/tls_stat. It also checks the kernel configuration (/proc/config.gz or\n"
	"/boot/config-RELEASE) against what kTLS needs and can use (kernel-cfg/*.config):\n"
	"CONFIG_TLS, the AEADs, CONFIG_TLS_DEVICE, CONFIG_NET_HANDSHAKE, ...\n"
	"\n"
	"Options:\n"
	"  --json                 one JSON object on stdout\n"
	"  --kernel-config [FILE] only the configuration report, no probe: the running\n"
	"                         kernel's config, or FILE (a kernel .config)\n"
	"  -V, --version          versions of libktls, OpenSSL, libsodium; kernel TLS or not\n"
	"  -h, --help             this text\n"
	"\n"
	"Exit status: 0 when kTLS with ChaCha20-Poly1305 works both ways, 1 when it does not,\n"
	"2 on usage errors. With --kernel-config: 0 when the config has every required option,\n"
	"1 when one is missing or no config is found.\n";

/* The value of option name in a kernel config, "" when unset/absent. */
struct kconfig {
	char *text;
};

static bool kconfig_load(struct kconfig *k, const char *path, char *used, size_t used_len)
{
	FILE *f = NULL;
	bool gz = false;
	struct utsname u;
	char boot[300];

	if (path) {
		f = fopen(path, "r");
		snprintf(used, used_len, "%s", path);
	} else if ((f = popen("gzip -dc /proc/config.gz 2>/dev/null", "r"))) {
		gz = true;
		snprintf(used, used_len, "/proc/config.gz");
	}
	k->text = NULL;
	size_t cap = 0, len = 0;
	char buf[4096];
	size_t n;
	while (f && (n = fread(buf, 1, sizeof(buf), f)) > 0) {
		if (len + n + 1 > cap) {
			cap = (len + n + 1) * 2;
			char *t = realloc(k->text, cap);
			if (!t)
				break;
			k->text = t;
		}
		memcpy(k->text + len, buf, n);
		len += n;
	}
	if (f)
		gz ? pclose(f) : fclose(f);
	if (!len && !path && uname(&u) == 0) {
		snprintf(boot, sizeof(boot), "/boot/config-%s", u.release);
		free(k->text);
		k->text = NULL;
		return kconfig_load(k, boot, used, used_len);
	}
	if (!len) {
		free(k->text);
		k->text = NULL;
		return false;
	}
	k->text[len] = 0;
	return true;
}

static const char *kconfig_get(const struct kconfig *k, const char *name, char *val, size_t vlen)
{
	size_t nlen = strlen(name);
	val[0] = 0;
	for (const char *p = k->text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (!strncmp(p, name, nlen) && p[nlen] == '=') {
			const char *v = p + nlen + 1;
			size_t l = strcspn(v, "\n");
			snprintf(val, vlen, "%.*s", (int)(l < vlen ? l : vlen - 1), v);
			break;
		}
	}
	return val;
}

#define N_CFG (sizeof(kernel_cfg) / sizeof(kernel_cfg[0]))

static bool kconfig_set(const char *val)
{
	return !strcmp(val, "y") || !strcmp(val, "m");
}

/* ,"config_source":...,"config":{...} of a JSON object; k NULL when no config was found. */
static void config_json(const struct kconfig *k, const char *used)
{
	printf(",\"config_source\":");
	json_fput(stdout, k ? used : "");
	printf(",\"config\":{");
	for (size_t i = 0; i < N_CFG && k; i++) {
		char val[64];
		printf("%s", i ? "," : "");
		json_fput(stdout, kernel_cfg[i].name);
		putchar(':');
		json_fput(stdout, kconfig_get(k, kernel_cfg[i].name, val, sizeof(val)));
	}
	printf("}");
}

/* The config table as text; returns whether every required option is set. */
static bool config_text(const struct kconfig *k, const char *used, const struct utsname *u)
{
	bool all = true;
	if (!k) {
		printf("kernel config: not found (no /proc/config.gz or /boot/config-%s; "
		       "use --kernel-config FILE)\n", u->release);
		return false;
	}
	printf("kernel config (%s):\n", used);
	for (size_t i = 0; i < N_CFG; i++) {
		char val[64];
		kconfig_get(k, kernel_cfg[i].name, val, sizeof(val));
		bool good = kconfig_set(val);
		all &= good || !kernel_cfg[i].required;
		printf("  %-32s %-4s %s\n", kernel_cfg[i].name, *val ? val : "-",
		       good ? "ok" : kernel_cfg[i].required ? "MISSING" : "absent (optional)");
	}
	return all;
}

/* --kernel-config [FILE]: the configuration report alone, for the running kernel or FILE. */
static int report_config_only(const char *path, const struct utsname *u, bool json)
{
	struct kconfig k;
	char used[320] = "";
	bool have = kconfig_load(&k, path, used, sizeof(used));
	if (path && !have) {
		fprintf(stderr, "ktls-check: cannot read kernel config %s\n", path);
		return 2;
	}
	bool all = have;
	if (json) {
		printf("{\"kernel\":");
		json_fput(stdout, path ? "" : u->release);
		config_json(have ? &k : NULL, used);
		for (size_t i = 0; i < N_CFG && have; i++) {
			char val[64];
			all &= kconfig_set(kconfig_get(&k, kernel_cfg[i].name, val, sizeof(val))) ||
			       !kernel_cfg[i].required;
		}
		printf(",\"ok\":%s}\n", all ? "true" : "false");
	} else {
		if (!path)
			printf("kernel %s\n", u->release);
		all = config_text(have ? &k : NULL, used, u);
	}
	free(k.text);
	return all ? 0 : 1;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "kernel-config", optional_argument, NULL, 'k' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, config_only = false;
	const char *config_path = NULL;
	int c;
	opterr = 0; /* cli_usage_error says it in one line */
	while ((c = getopt_long(argc, argv, ":hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'k':
			/* "--kernel-config FILE" as well as "--kernel-config=FILE" and a bare one */
			config_only = true;
			if (!optarg && optind < argc && argv[optind][0] != '-')
				optarg = argv[optind++];
			config_path = optarg;
			break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': return cli_print_version("ktls-check");
		default: return cli_usage_error("ktls-check", argv, c);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ktls-check: unexpected argument '%s' (see --help)\n", argv[optind]);
		return 2;
	}

	struct utsname u;
	uname(&u);
	if (config_only)
		return report_config_only(config_path, &u, json);

	struct ktls_probe_result r;
	if (ktls_probe_kernel(&r)) {
		fprintf(stderr, "ktls-check: cannot make a loopback TCP connection to probe with\n");
		return 1;
	}
	struct kconfig k;
	char used[320] = "";
	bool have_config = kconfig_load(&k, config_path, used, sizeof(used));
	if (config_path && !have_config) {
		fprintf(stderr, "ktls-check: cannot read kernel config %s\n", config_path);
		return 2;
	}
	bool chacha_ok = r.ciphers[0].tx && r.ciphers[0].rx;

	if (json) {
		printf("{\"kernel\":");
		json_fput(stdout, u.release);
		printf(",\"tls_ulp\":%s,\"tls_ulp_reason\":", r.ulp ? "true" : "false");
		json_fput(stdout, r.ulp_reason);
		printf(",\"ciphers\":[");
		for (int i = 0; i < KTLS_PROBE_SUITES; i++) {
			printf("%s{\"suite\":", i ? "," : "");
			json_fput(stdout, ktls_suite_name(r.ciphers[i].suite));
			printf(",\"tx\":%s,\"rx\":%s,\"reason\":", r.ciphers[i].tx ? "true" : "false",
			       r.ciphers[i].rx ? "true" : "false");
			json_fput(stdout, r.ciphers[i].reason);
			printf("}");
		}
		printf("],\"tx_zerocopy\":%s,\"rx_no_pad\":%s,\"rekey\":%s,\"tls_stat\":%s",
		       r.zerocopy_tx ? "true" : "false", r.rx_no_pad ? "true" : "false",
		       r.rekey ? "true" : "false", r.tls_stat ? "true" : "false");
		config_json(have_config ? &k : NULL, used);
		printf(",\"ok\":%s}\n", chacha_ok ? "true" : "false");
	} else {
		printf("kernel %s\n", u.release);
		printf("tls ULP:            %s%s%s\n", r.ulp ? "yes" : "no", r.ulp ? "" : " — ",
		       r.ulp ? "" : r.ulp_reason);
		for (int i = 0; i < KTLS_PROBE_SUITES; i++) {
			const struct ktls_probe_cipher *pc = &r.ciphers[i];
			bool why = r.ulp && *pc->reason;
			printf("%-30s TX %-3s RX %-3s%s%s\n", ktls_suite_name(pc->suite),
			       pc->tx ? "yes" : "no", pc->rx ? "yes" : "no", why ? " — " : "",
			       why ? pc->reason : "");
		}
		printf("%-30s never — the kernel has no AES-CCM with an 8-byte tag: records stay "
		       "in userspace\n", ktls_suite_name(KTLS_TLS_AES_128_CCM_8_SHA256));
		printf("zero-copy TX (TLS_TX_ZEROCOPY_RO):  %s\n", r.zerocopy_tx ? "yes" : "no");
		printf("no-pad RX (TLS_RX_EXPECT_NO_PAD):   %s\n", r.rx_no_pad ? "yes" : "no");
		printf("TLS 1.3 rekey (KeyUpdate):          %s\n",
		       r.rekey ? "yes" : "no (needs Linux 6.14+; a peer's KeyUpdate ends the connection)");
		printf("/proc/net/tls_stat:                 %s\n", r.tls_stat ? "yes" : "no");
		config_text(have_config ? &k : NULL, used, &u);
		printf("verdict: %s\n", chacha_ok ? "kTLS with ChaCha20-Poly1305 works both ways"
						  : "kTLS with ChaCha20-Poly1305 does NOT work here");
	}
	free(k.text);
	return chacha_ok ? 0 : 1;
}
