# make fuzz: the netlink fuzz of 75-nlfuzz with a million messages instead of 100,000.
SKL_FUZZ_MESSAGES=1000000 sh /opt/sklookup/tests/75-nlfuzz.sh
