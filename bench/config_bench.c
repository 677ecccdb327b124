/*
 * config_bench.c: time of loading a sitelist.yaml, against libyaml alone
 * parsing the same bytes into a document (the floor: config_load parses
 * twice, events then document, and walks the result).  Best of RUNS runs
 * of each, in this one process, in wall and in CPU seconds (the CPU time
 * holds on a busy machine); prints one line:
 *
 *	SITES BYTES YAML_WALL YAML_CPU LOAD_WALL LOAD_CPU
 *
 *	config_bench SITELIST [RUNS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <yaml.h>

#include "config.h"
#include "util.h"

struct span {
	double	wall, cpu;
};

static struct span
now(void)
{
	struct timespec w, c;
	struct span s;

	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	s.wall = (double)w.tv_sec + (double)w.tv_nsec / 1e9;
	s.cpu = (double)c.tv_sec + (double)c.tv_nsec / 1e9;
	return s;
}

static struct span
since(struct span t0)
{
	struct span t = now();

	t.wall -= t0.wall;
	t.cpu -= t0.cpu;
	return t;
}

static void
best(struct span *b, struct span t)
{
	if (t.wall < b->wall)
		b->wall = t.wall;
	if (t.cpu < b->cpu)
		b->cpu = t.cpu;
}

/* libyaml alone: the document API over the file's bytes. */
static struct span
yaml_only(const char *buf, size_t len)
{
	yaml_parser_t p;
	yaml_document_t doc;
	struct span t0 = now();

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&p, &doc)) {
		fprintf(stderr, "config_bench: libyaml: %s\n", p.problem);
		exit(1);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return since(t0);
}

/* config_load, the file read included (libyaml is given it in memory). */
static struct span
load(const char *path, size_t *nsites)
{
	struct config *cfg;
	struct diags d;
	struct span t0 = now(), t;

	diags_init(&d);
	if ((cfg = config_load(path, &d)) == NULL) {
		diags_sort(&d);
		diags_print(&d, stderr);
		exit(78);
	}
	t = since(t0);
	*nsites = cfg->nsites;
	config_free(cfg);
	diags_clear(&d);
	return t;
}

int
main(int argc, char **argv)
{
	struct span y = { 1e9, 1e9 }, l = { 1e9, 1e9 };
	size_t len, nsites = 0;
	int i, runs = 3;
	char *buf;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: config_bench SITELIST [RUNS]\n");
		return 64;
	}
	if (argc == 3 && (runs = (int)strtol(argv[2], NULL, 10)) < 1)
		runs = 1;
	if (file_read(argv[1], &buf, &len) == -1) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < runs; i++) {
		best(&y, yaml_only(buf, len));
		best(&l, load(argv[1], &nsites));
	}
	free(buf);
	printf("%zu %zu %.3f %.3f %.3f %.3f\n", nsites, len, y.wall, y.cpu,
	    l.wall, l.cpu);
	return 0;
}
