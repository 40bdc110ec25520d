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

// func cloneWait(stack uintptr, a *sideArgs, fn uintptr) (pid uintptr, errno uintptr)
//
// clone(CLONE_VM|SIGCHLD) with the child on its own stack (stack is its
// top): the child shares this address space and calls fn(a), which never
// returns; the caller goes on at once. fn is the Go function's own entry
// (ABIInternal: the argument in AX, g in R14, X15 zero), called without
// a wrapper (a wrapper of a -race build would call into the race
// detector, which knows nothing of this stack).
TEXT ·cloneWait(SB),NOSPLIT|NOFRAME,$0-40
	MOVQ	stack+0(FP), SI
	MOVQ	a+8(FP), R12 // the child's argument and function, in
	MOVQ	fn+16(FP), R13 // registers it keeps
	MOVQ	$0x111, DI // CLONE_VM 0x100 | SIGCHLD 17
	MOVQ	$0, DX
	MOVQ	$0, R10
	MOVQ	$0, R8
	MOVQ	$0, R9
	MOVQ	$56, AX // SYS_clone
	SYSCALL
	CMPQ	AX, $0
	JEQ	child
	CMPQ	AX, $0xfffffffffffff001
	JLS	parent
	NEGQ	AX
	MOVQ	$0, pid+24(FP)
	MOVQ	AX, errno+32(FP)
	RET
parent:
	MOVQ	AX, pid+24(FP)
	MOVQ	$0, errno+32(FP)
	RET
child:
	// On the new stack, which holds nothing; R14 is the caller's g.
	MOVQ	R12, AX
	XORPS	X15, X15
	SUBQ	$16, SP
	CALL	R13
	MOVQ	$127, DI
	MOVL	$231, AX // SYS_exit_group
	SYSCALL
	INT	$3
