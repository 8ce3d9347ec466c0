/*
 * replay.c — the main of the coverage builds of the fuzz targets (tests/fuzz/coverage.sh).
 *
 *   build/fuzz/cov/cov-TARGET FILE_OR_DIR...
 *
 * Runs the target's LLVMFuzzerTestOneInput once on every file named, or in the directories
 * named (not recursive), in the order given, then exits 0 so the profile is written. No
 * libFuzzer: the coverage build carries only clang's -fprofile-instr-generate
 * instrumentation, and a replay needs no mutation engine.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	if (!f || fstat(fileno(f), &st)) {
		perror(path);
		exit(1);
	}
	size_t n = (size_t)st.st_size;
	/* malloc'd to exactly the input's size, as libFuzzer does, so an overread stays one */
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf || fread(buf, 1, n, f) != n) {
		perror(path);
		exit(1);
	}
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	replayed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st)) {
			perror(argv[i]);
			return 1;
		}
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i]);
			continue;
		}
		struct dirent **names;
		int n = scandir(argv[i], &names, NULL, by_name);
		if (n < 0) {
			perror(argv[i]);
			return 1;
		}
		for (int j = 0; j < n; j++) {
			char path[4096];
			snprintf(path, sizeof(path), "%s/%s", argv[i], names[j]->d_name);
			if (!stat(path, &st) && S_ISREG(st.st_mode))
				replay_file(path);
			free(names[j]);
		}
		free(names);
	}
	fprintf(stderr, "replayed %zu inputs\n", replayed);
	return 0;
}
