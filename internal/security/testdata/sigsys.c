/*
 * sigsys: a program that tries to turn a refused system call into an
 * allowed one with a SIGSYS handler, for pledgekit's security tests.
 *
 * It runs under a seccomp filter whose penalty is SECCOMP_RET_TRAP and
 * tries openat(AT_FDCWD, argv[2], O_CREAT|O_WRONLY, 0644), which the
 * filter refuses. Its SIGSYS handler then, by argv[1]:
 *
 *   retry    makes the same call again from the handler (SIGSYS is blocked
 *            there, so the kernel must kill the process);
 *   nodefer  the same with SA_NODEFER: the handler is re-entered; after
 *            three nested refusals it fakes success;
 *   fake     sets the return register to a fake descriptor (1000) and
 *            returns, so that the program believes the call worked.
 *
 * The test checks that the file never exists. Built with
 * gcc -static -nostdlib: no libc, raw system calls only, for x86-64 and
 * arm64.
 */

typedef unsigned long u64;

#if defined(__x86_64__)
#define NR_write 1
#define NR_rt_sigaction 13
#define NR_openat 257
#define NR_exit_group 231
#define UC_RET 144 /* offsetof(ucontext_t, uc_mcontext.gregs[REG_RAX]) */

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	xor %rbp, %rbp\n"
	"	mov %rsp, %rdi\n"
	"	and $-16, %rsp\n"
	"	call cmain\n"
	"	hlt\n"
	".global restorer\n"
	"restorer:\n"
	"	mov $15, %rax\n"
	"	syscall\n");
void restorer(void);
#define HAVE_RESTORER 1

#elif defined(__aarch64__)
#define NR_write 64
#define NR_rt_sigaction 134
#define NR_openat 56
#define NR_exit_group 94
#define UC_RET 184 /* offsetof(ucontext_t, uc_mcontext.regs[0]) */

static long sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
			 : "memory");
	return x0;
}

__asm__(".text\n"
	".global _start\n"
	"_start:\n"
	"	mov x29, #0\n"
	"	mov x0, sp\n"
	"	bl cmain\n"
	"	brk #0\n");
#define HAVE_RESTORER 0
#else
#error "unsupported architecture"
#endif

#define AT_FDCWD (-100)
#define O_WRONLY 01
#define O_CREAT 0100
#define SIGSYS 31
#define SA_SIGINFO 4
#define SA_RESTORER 0x04000000
#define SA_NODEFER 0x40000000

struct ksigaction {
	void (*handler)(int, void *, void *);
	u64 flags;
	void (*restorer)(void);
	u64 mask;
};

static const char *path;
static int mode; /* 0 retry, 1 nodefer, 2 fake */
static volatile int depth;

static long slen(const char *s)
{
	long n = 0;
	while (s[n])
		n++;
	return n;
}

static void put(const char *s)
{
	sys6(NR_write, 1, (long)s, slen(s), 0, 0, 0);
}

static void putnum(long v)
{
	char buf[32];
	int i = 31;
	int neg = v < 0;
	buf[i] = 0;
	if (neg)
		v = -v;
	do {
		buf[--i] = '0' + v % 10;
		v /= 10;
	} while (v);
	if (neg)
		buf[--i] = '-';
	put(buf + i);
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static long attempt(void)
{
	return sys6(NR_openat, AT_FDCWD, (long)path, O_CREAT | O_WRONLY, 0644, 0, 0);
}

static void handler(int sig, void *info, void *uc)
{
	int nr = *(int *)((char *)info + 24); /* si_syscall */
	depth++;
	put("handler: signal ");
	putnum(sig);
	put(" syscall ");
	putnum(nr);
	put(" depth ");
	putnum(depth);
	put("\n");
	if (mode == 0 || (mode == 1 && depth < 3)) {
		long r = attempt();
		put("retry returned ");
		putnum(r);
		put("\n");
	}
	*(long *)((char *)uc + UC_RET) = 1000;
}

void cmain(long *sp)
{
	long argc = sp[0];
	char **argv = (char **)(sp + 1);
	struct ksigaction sa = {0};
	long r;

	if (argc < 3) {
		put("usage: sigsys retry|nodefer|fake PATH\n");
		sys6(NR_exit_group, 2, 0, 0, 0, 0, 0);
	}
	mode = streq(argv[1], "retry") ? 0 : streq(argv[1], "nodefer") ? 1 : 2;
	path = argv[2];
	sa.handler = handler;
	sa.flags = SA_SIGINFO;
	if (mode == 1)
		sa.flags |= SA_NODEFER;
#if HAVE_RESTORER
	sa.flags |= SA_RESTORER;
	sa.restorer = restorer;
#endif
	r = sys6(NR_rt_sigaction, SIGSYS, (long)&sa, 0, 8, 0, 0);
	if (r != 0) {
		put("rt_sigaction failed: ");
		putnum(r);
		put("\n");
		sys6(NR_exit_group, 3, 0, 0, 0, 0, 0);
	}
	put("handler installed\n");
	r = attempt();
	put("openat returned ");
	putnum(r);
	put("\n");
	sys6(NR_exit_group, 0, 0, 0, 0, 0, 0);
}
