#include "textflag.h"

// func vfork() (pid uintptr, errno uintptr)
//
// clone(CLONE_VM|CLONE_VFORK|SIGCHLD): the child shares this address
// space and runs on this stack while the calling thread waits for it to
// execute a program or exit. The return address is taken off the stack
// before the system call and put back after it, in each process from its
// own register: the child's calls would otherwise overwrite the slot the
// parent returns through.
TEXT ·vfork(SB),NOSPLIT|NOFRAME,$0-16
	MOVQ	$0x4111, DI // CLONE_VM 0x100 | CLONE_VFORK 0x4000 | SIGCHLD 17
	MOVQ	$0, SI
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	$56, AX // SYS_clone
	POPQ	R12
	SYSCALL
	PUSHQ	R12
	CMPQ	AX, $0xfffffffffffff001
	JLS	done
	NEGQ	AX
	MOVQ	$0, pid+0(FP)
	MOVQ	AX, errno+8(FP)
	RET
done:
	MOVQ	AX, pid+0(FP)
	MOVQ	$0, errno+8(FP)
	RET
