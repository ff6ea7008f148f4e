// SPDX-License-Identifier: GPL-2.0-only
/*
 * kernel-runner.c - the running kernel's side of `walkback verify`.
 *
 * Runs a program of memory-management operations, at the addresses it names,
 * in this process (never in walkback's), and prints after every operation
 * what it returned and what the kernel's page tables hold over the program's
 * ranges, read from /proc/self/pagemap and the PAGEMAP_SCAN ioctl.
 *
 * Program (stdin, read to the end before anything runs): one line each, '#'
 * starts a comment.  Every number is hexadecimal ("0x" optional); ADDR is
 * page aligned, PAGES counts 4 KiB pages, PROT is none, r, rw or rwx.
 *
 *   report   ADDR PAGES              a range whose map every result line prints
 *   mmap     ADDR PAGES PROT [populate] [thp]
 *                                    MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED[|MAP_POPULATE];
 *                                    thp: MADV_HUGEPAGE over it afterwards
 *   munmap   ADDR PAGES
 *   mprotect ADDR PAGES PROT
 *   mremap   ADDR PAGES NEW_PAGES [maymove] [to=ADDR]   to: MREMAP_MAYMOVE|MREMAP_FIXED
 *   madvise  ADDR PAGES ADVICE       ADVICE is the kernel's number (0x66 guard install)
 *   process_madvise ADVICE ADDR:PAGES...   on this process, through pidfd_open(getpid())
 *   mlock    ADDR PAGES
 *   munlock  ADDR PAGES
 *   read     ADDR PAGES              load one byte of each page, in order
 *   write    ADDR PAGES              store one byte into each page, in order
 *   map                              nothing: only the result line (a `check`)
 *
 * Any operation line may end with "quiet": its result line then has no maps.
 *
 * Output (stdout), one JSON object per line:
 *   {"runner":1,"pid":P,"pagemap_scan":true,"khugepaged":"synced"}     first
 *   {"step":I,"ret":N,"errno":E,"access":A,"maps":[M...],"vm_pte":B,"khugepaged":K}
 *   {"done":N}                                                         last
 * I counts operation lines from 0.  ret is the call's value, or -errno when
 * it failed (null for read, write and map).  access is "ok" or "segv" when
 * every page had that outcome, else one of "ok", "segv", "sigbus" per page
 * (null for a system call).  maps has one string per report line, one
 * character per page: '.' none, '#' present, 'g' guard marker (pagemap bit
 * 58), 'H' part of a huge page (PAGEMAP_SCAN PAGE_IS_HUGE), 'T' the same in
 * a hugetlb VMA, 's' another swap entry.  vm_pte is VmPTE of
 * /proc/self/status in bytes (every page-table page of the mm).  khugepaged
 * is how many pages khugepaged collapsed, anywhere, from just before the
 * previous line's maps were read to just after these were (the windows
 * overlap, so a collapse while maps are read is counted on both lines).
 *
 * Errors: one line on stderr.  Exit 2: the program is malformed (the line
 * is named).  Exit 3: a range the program touches is already mapped in this
 * process (the range and the mapping are named).  Exit 4: /proc/self/pagemap
 * cannot be read.  A fault inside a read or write is a result, never fatal.
 *
 * Why nothing is reserved: a reservation is a VMA, and a VMA the program
 * did not make changes what its madvise and munmap see.  Instead every
 * buffer is allocated before the check of /proc/self/maps, and the runner
 * maps nothing afterwards, so the ranges stay the program's alone.
 *
 * khugepaged: it collapses populated spans of MADV_HUGEPAGE memory on its
 * own schedule, which would make a THP appear that no operation made.  When
 * the program uses THP, the runner first enters its mm into khugepaged's
 * list with a scratch THP of its own (entering an empty list wakes
 * khugepaged at once) and waits, a bounded time, for that scan to end: the
 * program then runs at the start of khugepaged's sleep (scan_sleep_millisecs,
 * 10 s by default).  Every result line also counts the collapses since the
 * last one, so one that slipped in is seen, not mistaken for the kernel's
 * fault path.  The header says "synced", "unsynced" (the wait ran out),
 * "unused" (the program uses no THP) or "unavailable".
 *
 * Usage: kernel-runner [--khugepaged-wait=MS] < program
 *        kernel-runner --probe      facts about this kernel, one JSON line
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL
#define HPAGE (2UL << 20)
#define CHUNK 4096		/* pages read from pagemap at a time */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#define MADV_GUARD_INSTALL 102
#define MADV_GUARD_REMOVE 103
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_process_madvise
#define SYS_process_madvise 440
#endif

/* PAGEMAP_SCAN (include/uapi/linux/fs.h, 6.7+), spelled out for older headers */
struct scan_region { uint64_t start, end, categories; };
struct scan_arg {
	uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
	uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
};
#define PAGEMAP_SCAN_IOCTL _IOWR('f', 16, struct scan_arg)
#define PAGE_IS_PRESENT (1 << 3)
#define PAGE_IS_PFNZERO (1 << 5)
#define PAGE_IS_HUGE (1 << 6)

/* /proc/PID/pagemap bits (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAP (1ULL << 62)
#define PM_GUARD (1ULL << 58)
#define PM_EXCLUSIVE (1ULL << 56)

#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/"
#define PAGES_COLLAPSED THP_SYSFS "khugepaged/pages_collapsed"
#define FULL_SCANS THP_SYSFS "khugepaged/full_scans"

enum op { OP_MMAP, OP_MUNMAP, OP_MPROTECT, OP_MREMAP, OP_MADVISE, OP_PMADVISE,
	  OP_MLOCK, OP_MUNLOCK, OP_READ, OP_WRITE, OP_MAP };

static const char *const op_names[] = { "mmap", "munmap", "mprotect", "mremap", "madvise",
	"process_madvise", "mlock", "munlock", "read", "write", "map" };

struct range { uint64_t start, end; int line, report; };

struct step {
	enum op op;
	int line, quiet, populate, thp, maymove, fixed, prot, advice;
	uint64_t addr, pages, new_pages, to;
	struct iovec *iov;
	size_t niov;
};

static struct step *steps;
static size_t nsteps;
static struct range *reports;
static size_t nreports;
static struct range *touched;	/* every range the program may touch */
static size_t ntouched;

static int pagemap_fd = -1;
static int have_scan;
static int pidfd = -1;
static long collapsed_seen;
static uint64_t pm[CHUNK];
static struct scan_region regions[CHUNK];
static char mapchunk[CHUNK];
static char *outcome;		/* per page of the longest read or write */
static char filebuf[1 << 18];
static char stdout_buf[1 << 16];

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t probing;

static void die(int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("kernel-runner: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void *grow(void *p, size_t n, size_t size)
{
	p = realloc(p, n * size);
	if (!p)
		die(1, "out of memory");
	return p;
}

/* ---- reading the program ---- */

static int lineno;

static uint64_t hexnum(const char *s, const char *what)
{
	char *end;
	uint64_t v;

	if (!s)
		die(2, "line %d: %s is missing", lineno, what);
	errno = 0;
	v = strtoull(s, &end, 16);
	if (errno || end == s || *end || *s == '-' || *s == '+')
		die(2, "line %d: %s \"%s\" is not a hexadecimal number", lineno, what, s);
	return v;
}

static uint64_t addr_arg(const char *s)
{
	uint64_t a = hexnum(s, "ADDR");

	if (a % PAGE)
		die(2, "line %d: ADDR 0x%llx is not page aligned", lineno, (unsigned long long)a);
	return a;
}

/* [addr, addr + pages pages) must not wrap; returns the end */
static uint64_t range_end(uint64_t addr, uint64_t pages)
{
	if (pages > (UINT64_MAX - addr) / PAGE)
		die(2, "line %d: 0x%llx pages from 0x%llx run past the top of the address space",
		    lineno, (unsigned long long)pages, (unsigned long long)addr);
	return addr + pages * PAGE;
}

static void touch(uint64_t addr, uint64_t pages, int report)
{
	if (!pages)
		return;
	touched = grow(touched, ntouched + 1, sizeof(*touched));
	touched[ntouched++] = (struct range){ addr, range_end(addr, pages), lineno, report };
}

static int prot_arg(const char *s)
{
	if (s && !strcmp(s, "none"))
		return PROT_NONE;
	if (s && !strcmp(s, "r"))
		return PROT_READ;
	if (s && !strcmp(s, "rw"))
		return PROT_READ | PROT_WRITE;
	if (s && !strcmp(s, "rwx"))
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	die(2, "line %d: PROT \"%s\" is not none, r, rw or rwx", lineno, s ? s : "");
	return 0;
}

static void parse_line(char **tok, int ntok)
{
	struct step s = { .line = lineno };
	int i, first_opt = 3;

	if (!strcmp(tok[0], "report")) {
		if (ntok != 3)
			die(2, "line %d: report takes ADDR PAGES", lineno);
		uint64_t a = addr_arg(tok[1]), p = hexnum(tok[2], "PAGES");
		if (!p)
			die(2, "line %d: a report range needs at least one page", lineno);
		reports = grow(reports, nreports + 1, sizeof(*reports));
		reports[nreports++] = (struct range){ a, range_end(a, p), lineno, 1 };
		touch(a, p, 1);
		return;
	}
	for (i = 0; i < (int)(sizeof(op_names) / sizeof(op_names[0])); i++)
		if (!strcmp(tok[0], op_names[i]))
			break;
	if (i == sizeof(op_names) / sizeof(op_names[0]))
		die(2, "line %d: unknown operation \"%s\"", lineno, tok[0]);
	s.op = i;
	if (ntok > 1 && !strcmp(tok[ntok - 1], "quiet")) {
		s.quiet = 1;
		ntok--;
	}

	switch (s.op) {
	case OP_MAP:
		first_opt = 1;
		break;
	case OP_PMADVISE:
		if (ntok < 2)
			die(2, "line %d: process_madvise takes ADVICE ADDR:PAGES...", lineno);
		s.advice = (int)hexnum(tok[1], "ADVICE");
		s.niov = ntok - 2;
		s.iov = grow(NULL, s.niov ? s.niov : 1, sizeof(*s.iov));
		for (i = 2; i < ntok; i++) {
			char *colon = strchr(tok[i], ':');
			if (!colon)
				die(2, "line %d: \"%s\" is not ADDR:PAGES", lineno, tok[i]);
			*colon = 0;
			uint64_t a = addr_arg(tok[i]), p = hexnum(colon + 1, "PAGES");
			range_end(a, p);
			s.iov[i - 2] = (struct iovec){ (void *)(uintptr_t)a, p * PAGE };
			touch(a, p, 0);
		}
		first_opt = ntok;
		break;
	default:
		s.addr = addr_arg(ntok > 1 ? tok[1] : NULL);
		s.pages = hexnum(ntok > 2 ? tok[2] : NULL, "PAGES");
		touch(s.addr, s.pages, 0);
		if (s.op == OP_MMAP || s.op == OP_MPROTECT) {
			s.prot = prot_arg(ntok > 3 ? tok[3] : NULL);
			first_opt = 4;
		} else if (s.op == OP_MADVISE) {
			s.advice = (int)hexnum(ntok > 3 ? tok[3] : NULL, "ADVICE");
			first_opt = 4;
		} else if (s.op == OP_MREMAP) {
			s.new_pages = hexnum(ntok > 3 ? tok[3] : NULL, "NEW_PAGES");
			touch(s.addr, s.new_pages, 0);	/* an expansion in place */
			first_opt = 4;
		}
	}
	for (i = first_opt; i < ntok; i++) {
		if (s.op == OP_MMAP && !strcmp(tok[i], "populate"))
			s.populate = 1;
		else if (s.op == OP_MMAP && !strcmp(tok[i], "thp"))
			s.thp = 1;
		else if (s.op == OP_MREMAP && !strcmp(tok[i], "maymove"))
			s.maymove = 1;
		else if (s.op == OP_MREMAP && !strncmp(tok[i], "to=", 3)) {
			s.fixed = 1;
			s.to = addr_arg(tok[i] + 3);
			touch(s.to, s.new_pages, 0);
		} else
			die(2, "line %d: unexpected \"%s\" after %s", lineno, tok[i], op_names[s.op]);
	}
	steps = grow(steps, nsteps + 1, sizeof(*steps));
	steps[nsteps++] = s;
}

static void read_program(void)
{
	char *line = NULL, **tok = NULL;
	size_t cap = 0, ntokcap = 0;

	while (getline(&line, &cap, stdin) >= 0) {
		char *c = strchr(line, '#'), *save = NULL, *t;
		int ntok = 0;

		lineno++;
		if (c)
			*c = 0;
		for (t = strtok_r(line, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
			if ((size_t)ntok == ntokcap)
				tok = grow(tok, ntokcap = ntokcap * 2 + 16, sizeof(*tok));
			tok[ntok++] = t;
		}
		if (ntok)
			parse_line(tok, ntok);
	}
	if (ferror(stdin))
		die(2, "cannot read the program: %s", strerror(errno));
	free(line);
	free(tok);
}

/* ---- what the kernel shows ---- */

static int readfile(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY), n, t = 0;

	if (fd < 0)
		return -1;
	while (t < (int)len - 1 && (n = read(fd, buf + t, len - 1 - t)) > 0)
		t += n;
	buf[t] = 0;
	close(fd);
	return t;
}

static long read_long(const char *path)
{
	char buf[64];

	return readfile(path, buf, sizeof(buf)) > 0 ? atol(buf) : -1;
}

static long vm_pte_bytes(void)
{
	char *p;

	if (readfile("/proc/self/status", filebuf, sizeof(filebuf)) < 0)
		return -1;
	p = strstr(filebuf, "VmPTE:");
	return p ? atol(p + 6) * 1024 : -1;
}

/* Is addr in a hugetlb VMA?  (smaps KernelPageSize above the base page) */
static int in_hugetlb_vma(uint64_t addr)
{
	char *p;
	unsigned long s, e;

	if (readfile("/proc/self/smaps", filebuf, sizeof(filebuf)) < 0)
		return 0;
	for (p = filebuf; p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
		if (sscanf(p, "%lx-%lx ", &s, &e) != 2 || p[strspn(p, "0123456789abcdef")] != '-')
			continue;
		if (addr < s || addr >= e)
			continue;
		char *k = strstr(p, "KernelPageSize:");
		return k && atol(k + 15) > (long)(PAGE / 1024);
	}
	return 0;
}

/* PAGEMAP_SCAN: mark the pages of [addr, addr + n pages) that are in category cat */
static long scan(uint64_t addr, size_t n, uint64_t cat, char *marks)
{
	struct scan_arg a = {
		.size = sizeof(a), .start = addr, .end = addr + n * PAGE,
		.vec = (uintptr_t)regions, .vec_len = CHUNK,
		.category_mask = cat, .return_mask = cat,
	};
	long r = ioctl(pagemap_fd, PAGEMAP_SCAN_IOCTL, &a);

	memset(marks, 0, n);
	for (long i = 0; i < r; i++)
		for (uint64_t p = regions[i].start; p < regions[i].end; p += PAGE)
			marks[(p - addr) / PAGE] = 1;
	return r;
}

static void read_pagemap(uint64_t addr, size_t n)
{
	size_t want = n * sizeof(pm[0]), got = 0;
	ssize_t r;

	while (got < want) {
		r = pread(pagemap_fd, (char *)pm + got, want - got, (addr / PAGE) * sizeof(pm[0]) + got);
		if (r <= 0)
			die(1, "cannot read /proc/self/pagemap at 0x%llx: %s", (unsigned long long)addr,
			    r ? strerror(errno) : "end of file");
		got += r;
	}
}

/* The map of [start, end) as a JSON string, CHUNK pages at a time. */
static void print_map(uint64_t start, uint64_t end)
{
	static char huge[CHUNK];
	int hugetlb = -1;

	putchar('"');
	for (uint64_t addr = start; addr < end; addr += CHUNK * PAGE) {
		size_t n = (end - addr) / PAGE < CHUNK ? (end - addr) / PAGE : CHUNK;

		read_pagemap(addr, n);
		if (!have_scan || scan(addr, n, PAGE_IS_HUGE, huge) < 0)
			memset(huge, 0, n);
		for (size_t i = 0; i < n; i++) {
			uint64_t e = pm[i];
			char c = '.';

			if (e & PM_GUARD)	/* a marker also sets PM_SWAP: test this first */
				c = 'g';
			else if (e & PM_PRESENT) {
				c = '#';
				if (huge[i]) {
					/* one hugetlb question per run of huge pages */
					if (hugetlb < 0 || i == 0 || !huge[i - 1])
						hugetlb = in_hugetlb_vma(addr + i * PAGE);
					c = hugetlb ? 'T' : 'H';
				}
			} else if (e & PM_SWAP)
				c = 's';
			mapchunk[i] = c;
		}
		fwrite(mapchunk, 1, n, stdout);
	}
	putchar('"');
}

/* ---- running ---- */

static void on_fault(int sig)
{
	if (!probing)
		_exit(128 + sig);
	siglongjmp(fault_jmp, sig);
}

/* One access to p; 0 or the signal it raised.  SA_NODEFER lets the next fault in. */
static __attribute__((noinline)) int access_page(volatile char *p, int write)
{
	int sig;

	probing = 1;
	sig = sigsetjmp(fault_jmp, 0);
	if (!sig) {
		if (write)
			*p = 1;
		else
			(void)*p;
	}
	probing = 0;
	return sig;
}

static long fail(void)
{
	return -(long)errno;
}

static void run_step(size_t idx)
{
	struct step *s = &steps[idx];
	void *addr = (void *)(uintptr_t)s->addr, *p;
	size_t len = s->pages * PAGE;
	long ret = 0;
	int is_call = 1, flags;

	errno = 0;
	switch (s->op) {
	case OP_MMAP:
		flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | (s->populate ? MAP_POPULATE : 0);
		p = mmap(addr, len, s->prot, flags, -1, 0);
		ret = p == MAP_FAILED ? fail() : (long)(uintptr_t)p;
		if (p != MAP_FAILED && s->thp && madvise(p, len, MADV_HUGEPAGE))
			ret = fail();
		break;
	case OP_MUNMAP:
		ret = munmap(addr, len) ? fail() : 0;
		break;
	case OP_MPROTECT:
		ret = mprotect(addr, len, s->prot) ? fail() : 0;
		break;
	case OP_MREMAP:
		flags = (s->maymove ? MREMAP_MAYMOVE : 0) | (s->fixed ? MREMAP_MAYMOVE | MREMAP_FIXED : 0);
		p = mremap(addr, len, s->new_pages * PAGE, flags, (void *)(uintptr_t)s->to);
		ret = p == MAP_FAILED ? fail() : (long)(uintptr_t)p;
		break;
	case OP_MADVISE:
		ret = syscall(SYS_madvise, addr, len, s->advice) ? fail() : 0;
		break;
	case OP_PMADVISE:
		ret = syscall(SYS_process_madvise, pidfd, s->iov, s->niov, s->advice, 0);
		if (ret < 0)
			ret = fail();
		break;
	case OP_MLOCK:
		ret = mlock(addr, len) ? fail() : 0;
		break;
	case OP_MUNLOCK:
		ret = munlock(addr, len) ? fail() : 0;
		break;
	case OP_READ:
	case OP_WRITE:
		for (uint64_t i = 0; i < s->pages; i++)
			outcome[i] = access_page((volatile char *)addr + i * PAGE, s->op == OP_WRITE);
		is_call = 0;
		break;
	case OP_MAP:
		is_call = 0;
		break;
	}

	printf("{\"step\":%zu", idx);
	if (is_call)
		printf(",\"ret\":%ld,\"errno\":%ld,\"access\":null", ret, ret < 0 ? -ret : 0);
	else
		printf(",\"ret\":null,\"errno\":0,\"access\":");
	if (s->op == OP_READ || s->op == OP_WRITE) {
		uint64_t ok = 0, segv = 0;

		for (uint64_t i = 0; i < s->pages; i++) {
			ok += outcome[i] == 0;
			segv += outcome[i] == SIGSEGV;
		}
		if (s->pages && (ok == s->pages || segv == s->pages))
			printf(ok == s->pages ? "\"ok\"" : "\"segv\"");
		else {
			putchar('[');
			for (uint64_t i = 0; i < s->pages; i++)
				printf("%s\"%s\"", i ? "," : "", outcome[i] == 0 ? "ok" :
				       outcome[i] == SIGSEGV ? "segv" : "sigbus");
			putchar(']');
		}
	} else if (!is_call)
		printf("null");
	/* khugepaged: collapses from just before the previous line's maps to just after these */
	long collapsed_before = read_long(PAGES_COLLAPSED);

	printf(",\"maps\":");
	if (s->quiet)
		printf("null");
	else {
		putchar('[');
		for (size_t r = 0; r < nreports; r++) {
			if (r)
				putchar(',');
			print_map(reports[r].start, reports[r].end);
		}
		putchar(']');
	}
	long collapsed = read_long(PAGES_COLLAPSED);
	printf(",\"vm_pte\":%ld,\"khugepaged\":%ld}\n", vm_pte_bytes(),
	       collapsed >= 0 && collapsed_seen >= 0 ? collapsed - collapsed_seen : 0);
	collapsed_seen = collapsed_before;
	fflush(stdout);
}

/* Does the program use THP (so that khugepaged may act on its memory)? */
static int uses_thp(void)
{
	for (size_t i = 0; i < nsteps; i++)
		if (steps[i].thp || ((steps[i].op == OP_MADVISE || steps[i].op == OP_PMADVISE) &&
				     (steps[i].advice == MADV_HUGEPAGE || steps[i].advice == 25 /* MADV_COLLAPSE */)))
			return 1;
	return 0;
}

static void sleep_ms(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&t, NULL);
}

/* See the header comment: start the program at the beginning of khugepaged's sleep. */
static const char *khugepaged_sync(long wait_ms)
{
	long before = read_long(FULL_SCANS);
	char *p, *span;

	if (before < 0)
		return "unavailable";
	p = mmap(NULL, 2 * HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return "unavailable";
	span = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	madvise(span, HPAGE, MADV_HUGEPAGE);
	*span = 1;	/* the first fault gives the VMA an anon_vma: khugepaged takes the mm now */
	for (long waited = 0; waited < wait_ms; waited += 5) {
		if (read_long(FULL_SCANS) != before)
			break;
		sleep_ms(5);
	}
	munmap(p, 2 * HPAGE);
	return read_long(FULL_SCANS) != before ? "synced" : "unsynced";
}

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/*
 * Refuse to run if any range the program touches is mapped in this process
 * already, naming the first such range (an operation's rather than a report's).
 */
static void check_free(void)
{
	static struct { unsigned long long start, end; const char *line; } mapped[8192];
	size_t nmapped = 0;
	int len;

	qsort(touched, ntouched, sizeof(*touched), cmp_range);
	len = readfile("/proc/self/maps", filebuf, sizeof(filebuf));
	if (len < 0)
		die(4, "cannot read /proc/self/maps: %s", strerror(errno));
	for (char *line = filebuf, *nl; line < filebuf + len && nmapped < 8192; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = filebuf + len;
		*nl = 0;
		if (sscanf(line, "%llx-%llx", &mapped[nmapped].start, &mapped[nmapped].end) == 2)
			mapped[nmapped++].line = line;
	}
	for (int report = 0; report < 2; report++)
		for (size_t i = 0; i < ntouched; i++)
			for (size_t m = 0; m < nmapped && touched[i].report == report; m++)
				if (touched[i].start < mapped[m].end && mapped[m].start < touched[i].end)
					die(3, "0x%llx-0x%llx (line %d) is already mapped in the runner's process: %s",
					    (unsigned long long)touched[i].start, (unsigned long long)touched[i].end,
					    touched[i].line, mapped[m].line);
}

static void on_signals(void)
{
	struct sigaction sa = { .sa_handler = on_fault, .sa_flags = SA_NODEFER };

	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* ---- probe mode: what this kernel is ---- */

static char *scratch(size_t len, int advice)
{
	char *p = mmap(NULL, len + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die(1, "probe: cannot map %zu bytes: %s", len, strerror(errno));
	p = (char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
	if (advice >= 0)
		madvise(p, len, advice);
	return p;
}

static const char *yes(int b)
{
	return b ? "true" : "false";
}

static int probe(void)
{
	char thp[128] = "", mark;
	char *p;
	long r, before, after;
	int guard_errno, guard_bit = 0, guard_segv = 0, zero = 0, thp_fault = 0;
	struct rlimit lim;

	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	on_signals();

	/* guard regions: MADV_GUARD_INSTALL on a scratch page, then pagemap and an access */
	p = scratch(2 * PAGE, -1);
	r = syscall(SYS_madvise, p, PAGE, MADV_GUARD_INSTALL);
	guard_errno = r ? errno : 0;
	if (!r) {
		guard_segv = access_page(p, 0) == SIGSEGV;
		if (pagemap_fd >= 0) {
			read_pagemap((uintptr_t)p, 1);
			guard_bit = !!(pm[0] & PM_GUARD);
		}
		syscall(SYS_madvise, p, PAGE, MADV_GUARD_REMOVE);
	}

	/* PAGEMAP_SCAN, and the zero page: is a read-faulted page shared (PFNZERO, not exclusive)? */
	have_scan = pagemap_fd >= 0 && scan((uintptr_t)p, 1, PAGE_IS_PRESENT, &mark) >= 0;
	(void)*(volatile char *)(p + PAGE);
	if (have_scan) {
		scan((uintptr_t)p + PAGE, 1, PAGE_IS_PFNZERO, &mark);
		zero = mark;
	} else if (pagemap_fd >= 0) {
		read_pagemap((uintptr_t)p + PAGE, 1);
		zero = (pm[0] & PM_PRESENT) && !(pm[0] & PM_EXCLUSIVE);
	}

	/* THP on fault: a write into an aligned MADV_HUGEPAGE span */
	p = scratch(HPAGE, MADV_HUGEPAGE);
	*p = 1;
	if (have_scan)
		thp_fault = scan((uintptr_t)p, 1, PAGE_IS_HUGE, &mark) >= 0 && mark;

	/* PT_RECLAIM: does MADV_DONTNEED of a whole written 2 MiB span free its PTE table? */
	p = scratch(HPAGE, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < HPAGE; i += PAGE)
		p[i] = 1;
	before = vm_pte_bytes();
	madvise(p, HPAGE, MADV_DONTNEED);
	after = vm_pte_bytes();

	/* process_madvise on this process */
	int fd = syscall(SYS_pidfd_open, getpid(), 0);
	struct iovec iov = { p, PAGE };
	long pm_ret = fd >= 0 ? syscall(SYS_process_madvise, fd, &iov, 1, MADV_GUARD_INSTALL, 0) : -1;

	readfile(THP_SYSFS "enabled", thp, sizeof(thp));
	char *open_b = strchr(thp, '['), *close_b = open_b ? strchr(open_b, ']') : NULL;
	if (close_b)
		*close_b = 0;
	getrlimit(RLIMIT_MEMLOCK, &lim);

	printf("{\"probe\":1,\"page_size\":%ld,\"pagemap\":%s,\"pagemap_scan\":%s,"
	       "\"guard_regions\":%s,\"guard_errno\":%d,\"guard_segv\":%s,\"pagemap_guard_bit\":%s,"
	       "\"read_fault_zero_page\":%s,\"thp_enabled\":\"%s\",\"thp_on_fault\":%s,"
	       "\"vm_pte\":%s,\"pt_reclaim\":%s,\"process_madvise_self\":%s,\"memlock_limit\":%lld}\n",
	       sysconf(_SC_PAGESIZE), yes(pagemap_fd >= 0), yes(have_scan),
	       yes(guard_errno == 0), guard_errno, yes(guard_segv), yes(guard_bit),
	       yes(zero), close_b ? open_b + 1 : "", yes(thp_fault),
	       yes(before >= 0), yes(before >= 0 && after < before),
	       yes(pm_ret == (long)PAGE),
	       lim.rlim_cur == RLIM_INFINITY ? -1LL : (long long)lim.rlim_cur);
	return 0;
}

int main(int argc, char **argv)
{
	long wait_ms = 200;
	const char *khugepaged = "unused";
	size_t longest = 1;

	setvbuf(stdout, stdout_buf, _IOFBF, sizeof(stdout_buf));
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--probe"))
			return probe();
		if (!strncmp(argv[i], "--khugepaged-wait=", 18))
			wait_ms = atol(argv[i] + 18);
		else
			die(2, "unknown argument \"%s\" (usage: kernel-runner [--khugepaged-wait=MS] < program, or --probe)", argv[i]);
	}
	read_program();

	/* Everything the run needs, before the ranges are checked: nothing is mapped afterwards. */
	for (size_t i = 0; i < nsteps; i++)
		if ((steps[i].op == OP_READ || steps[i].op == OP_WRITE) && steps[i].pages > longest)
			longest = steps[i].pages;
	outcome = grow(NULL, longest, 1);
	pagemap_fd = open("/proc/self/pagemap", O_RDONLY);
	if (pagemap_fd < 0)
		die(4, "cannot open /proc/self/pagemap: %s", strerror(errno));
	have_scan = scan(PAGE * 16, 1, PAGE_IS_HUGE, mapchunk) >= 0;
	for (size_t i = 0; i < nsteps; i++)
		if (steps[i].op == OP_PMADVISE && pidfd < 0 && (pidfd = syscall(SYS_pidfd_open, getpid(), 0)) < 0)
			die(4, "pidfd_open of the runner's own process failed: %s", strerror(errno));
	if (uses_thp())
		khugepaged = khugepaged_sync(wait_ms);
	collapsed_seen = read_long(PAGES_COLLAPSED);
	printf("{\"runner\":1,\"pid\":%d,\"pagemap_scan\":%s,\"khugepaged\":\"%s\"}\n", getpid(),
	       yes(have_scan), khugepaged);
	fflush(stdout);

	check_free();
	on_signals();
	for (size_t i = 0; i < nsteps; i++)
		run_step(i);
	printf("{\"done\":%zu}\n", nsteps);
	fflush(stdout);
	return 0;
}
