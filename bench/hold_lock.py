"""Holds an exclusive flock on a file until killed, so no engine process on that spool can
become the delivery leader while a benchmark fills the queue.

python3 hold_lock.py <path>   prints "held" once the lock is taken.
"""
import fcntl
import os
import signal
import sys

fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
while True:
    signal.pause()
