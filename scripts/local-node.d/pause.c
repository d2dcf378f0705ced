/* The pod sandbox's process: exits on SIGINT/SIGTERM, reaps children, otherwise sleeps. Built static by images.sh. */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
static void stop(int sig) { (void) sig; _exit(0); }
static void reap(int sig) { (void) sig; while (waitpid(-1, NULL, WNOHANG) > 0) {} }
int main(void) {
  signal(SIGINT, stop); signal(SIGTERM, stop); signal(SIGCHLD, reap);
  for (;;) pause();
}
