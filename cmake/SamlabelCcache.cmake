# Use ccache when present. Its cache lives outside the clone
# (scripts/samlabel.sh sets CCACHE_DIR and CCACHE_BASEDIR) so fresh clones reuse it.
find_program(SAMLABEL_CCACHE ccache)
if(SAMLABEL_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  set(CMAKE_CXX_COMPILER_LAUNCHER "${SAMLABEL_CCACHE}")
endif()
