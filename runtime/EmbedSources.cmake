# Writes the runtime's header and source as C++ raw string constants.
file(READ ${HEADER} header)
file(READ ${SOURCE} source)
file(WRITE ${OUT} "static const char kKilnRuntimeH[] = R\"kiln_rt(${header})kiln_rt\";\n")
file(APPEND ${OUT} "static const char kKilnRuntimeC[] = R\"kiln_rt(${source})kiln_rt\";\n")
