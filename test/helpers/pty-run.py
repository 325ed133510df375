"""Runs a command in a pseudo-terminal, as a person's terminal does, and presses Ctrl-C.

Usage: pty-run.py <wait-for-text> <timeout-seconds> -- command args...
Waits until the command prints <wait-for-text>, then writes Ctrl-C (0x03) to the terminal: the
terminal's line discipline sends SIGINT to the whole foreground process group, exactly as when a
person presses it. Prints everything the command printed, then "EXIT <code>" (or "TIMEOUT").
"""
import os, pty, select, sys, time

wait_for = sys.argv[1].encode()
timeout = float(sys.argv[2])
cmd = sys.argv[sys.argv.index("--") + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
out = b""
pressed = False
deadline = time.time() + timeout
while True:
    if time.time() > deadline:
        sys.stdout.write(out.decode(errors="replace") + "\nTIMEOUT\n")
        os.kill(pid, 9)
        sys.exit(1)
    r, _, _ = select.select([fd], [], [], 0.2)
    if r:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            break
        out += chunk
    if not pressed and wait_for in out:
        time.sleep(0.3)
        os.write(fd, b"\x03")
        pressed = True
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace") + "\nEXIT %d\n" % os.waitstatus_to_exitcode(status))
