#include "textflag.h"

// func vfork() (pid uintptr, errno uintptr)
//
// clone(CLONE_VM|CLONE_VFORK|SIGCHLD): the child shares this address
// space and runs on this stack while the calling thread waits for it to
// execute a program or exit. A leaf without a frame: the return address
// stays in the link register, which each process has its own copy of.
TEXT ·vfork(SB),NOSPLIT|NOFRAME,$0-16
	MOVD	$0x4111, R0 // CLONE_VM 0x100 | CLONE_VFORK 0x4000 | SIGCHLD 17
	MOVD	$0, R1
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$0, R5
	MOVD	$220, R8 // SYS_clone
	SVC
	CMN	$4095, R0
	BCC	done
	NEG	R0, R0
	MOVD	ZR, pid+0(FP)
	MOVD	R0, errno+8(FP)
	RET
done:
	MOVD	R0, pid+0(FP)
	MOVD	ZR, errno+8(FP)
	RET

// func cloneWait(stack uintptr, a *sideArgs, fn uintptr) (pid uintptr, errno uintptr)
//
// clone(CLONE_VM|SIGCHLD) with the child on its own stack (stack is its
// top, 16-byte aligned): the child shares this address space and calls
// fn(a), which never returns; the caller goes on at once. fn is the Go
// function's own entry (ABIInternal: the argument in R0, g in R28),
// called without a wrapper (a wrapper of a -race build would call into
// the race detector, which knows nothing of this stack).
TEXT ·cloneWait(SB),NOSPLIT|NOFRAME,$0-40
	MOVD	stack+0(FP), R1
	MOVD	a+8(FP), R19 // the child's argument and function, in
	MOVD	fn+16(FP), R20 // registers it keeps
	MOVD	$0x111, R0 // CLONE_VM 0x100 | SIGCHLD 17
	MOVD	$0, R2
	MOVD	$0, R3
	MOVD	$0, R4
	MOVD	$220, R8 // SYS_clone
	SVC
	CMP	$0, R0
	BEQ	child
	CMN	$4095, R0
	BCC	parent
	NEG	R0, R0
	MOVD	ZR, pid+24(FP)
	MOVD	R0, errno+32(FP)
	RET
parent:
	MOVD	R0, pid+24(FP)
	MOVD	ZR, errno+32(FP)
	RET
child:
	// On the new stack, which holds nothing; R28 is the caller's g.
	MOVD	R19, R0
	SUB	$32, RSP
	CALL	(R20)
	MOVD	$127, R0
	MOVD	$94, R8 // SYS_exit_group
	SVC
	BRK
