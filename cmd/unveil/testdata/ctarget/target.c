/* ctarget: a C program the tests build with musl-gcc (dynamic and static)
 * and run under unveil. Arguments are action pairs, done in order; the
 * first failure ends it with exit status 1.
 *   read PATH    print the file
 *   write PATH   create or truncate the file and write "x"
 *   exec PATH    execve PATH (no arguments)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
	for (int i = 1; i + 1 < argc; i += 2) {
		const char *op = argv[i], *arg = argv[i + 1];
		if (strcmp(op, "read") == 0) {
			FILE *f = fopen(arg, "r");
			if (!f) goto fail;
			char buf[4096];
			size_t n;
			while ((n = fread(buf, 1, sizeof buf, f)) > 0)
				fwrite(buf, 1, n, stdout);
			fclose(f);
		} else if (strcmp(op, "write") == 0) {
			int fd = open(arg, O_WRONLY | O_CREAT | O_TRUNC, 0644);
			if (fd < 0 || write(fd, "x", 1) != 1) goto fail;
			close(fd);
		} else if (strcmp(op, "exec") == 0) {
			char *const av[] = {(char *)arg, NULL};
			execv(arg, av);
			goto fail;
		} else {
			fprintf(stderr, "ctarget: unknown action %s\n", op);
			return 2;
		}
		continue;
	fail:
		fprintf(stderr, "ctarget: %s %s: %s\n", op, arg, strerror(errno));
		return 1;
	}
	fflush(stdout);
	return 0;
}
