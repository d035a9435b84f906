# Not part of the suite (no number): the costs of issue 16's point 7 for labels, printed
# as "# " lines. tests/vm/run-kernel.sh 6.1 pick-cost; SKL_APPEND="skl_apply=10000,100000"
# chooses the sizes of the apply runs, SKL_APPEND=skl_only=pick runs the flood alone.
. /opt/sklookup/tests/lib.sh

modprobe sklookup
python3 $T/pickcost.py pick 7 200000 1
python3 $T/pickcost.py pick 5 200000 64
if [ "${skl_only:-}" != pick ]; then
	python3 $T/pickcost.py unload 1000
	python3 $T/pickcost.py netns 1000
	for n in $(echo "${skl_apply:-10000,100000,1000000}" | tr , " "); do
		python3 $T/pickcost.py apply "$n"
	done
fi
unload
pass "pick-cost ran to the end"
