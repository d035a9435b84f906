# Other ftrace users on the hooked functions: BPF trampolines, kprobes, tracers.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/coexist.py
unload
