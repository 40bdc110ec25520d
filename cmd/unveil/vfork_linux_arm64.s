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
