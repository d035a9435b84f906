# make fuzz: the long runs of the bounded tests in make check. The netlink fuzz with a
# million messages, its sequences for five minutes, four writers for three minutes, 100
# load cycles, 1,000 namespaces and 100,000 random flows against the model of the decision.
SKL_FUZZ_MESSAGES=1000000 sh /opt/sklookup/tests/75-nlfuzz.sh
SKL_STATEFUZZ_SECONDS=300 sh /opt/sklookup/tests/76-statefuzz.sh
SKL_WRITERS_SECONDS=180 sh /opt/sklookup/tests/52-writers.sh
SKL_TEARDOWN_CYCLES=100 SKL_TEARDOWN_NAMESPACES=1000 sh /opt/sklookup/tests/57-teardown.sh
SKL_DIFF_FLOWS=100000 sh /opt/sklookup/tests/77-differential.sh
