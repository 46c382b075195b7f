# CTest `layers.*` (cmake -P): proves that the layers of docs/architecture.md
# hold in the build, with the compiler and the include roots the libraries
# compile against (cmake/layers.cmake).
#   -DLIBRARIES=<file written at configure time: "@layer|layer|uses" rows, then
#               "name|layer|include root|headers|deps" rows>
#   -DCOMPILER=<c++ compiler> -DSOURCE_DIR=<checkout> -DWORK=<scratch dir>
# For every library L and every library M of a layer L's layer may not use,
# #include of any header of M must fail to resolve in L; for
# every library D that L may use and links, #include of D's header must work
# (so the check cannot pass by breaking every include). Sources must not
# reach around the roots with relative includes ("../").
cmake_minimum_required(VERSION 3.25)
file(STRINGS ${LIBRARIES} rows)
set(names)
foreach(row ${rows})
  string(REPLACE "|" ";" f "${row}")
  list(GET f 0 name)
  if(name STREQUAL "@layer")  # a layer and the layers it may use
    list(GET f 1 layer)
    list(GET f 2 uses)
    string(REPLACE "," ";" uses_${layer} "${uses}")
    continue()
  endif()
  list(GET f 1 layer)
  list(GET f 2 root)
  list(GET f 3 headers)
  list(GET f 4 deps)
  string(REPLACE "," ";" headers "${headers}")
  string(REPLACE "," ";" deps "${deps}")
  set(deps_${name} ${deps})
  list(APPEND names ${name})
  set(layer_${name} ${layer})
  set(root_${name} ${root})
  set(headers_${name} ${headers})
endforeach()

file(MAKE_DIRECTORY ${WORK})
set(failures)
set(checked 0)
foreach(lib ${names})
  # Wrong-way includes: every header of every library of a layer this one may not use.
  set(forbidden)
  foreach(other ${names})
    set(allowed_layers ${uses_${layer_${lib}}})
    if(NOT other STREQUAL lib AND NOT layer_${other} IN_LIST allowed_layers)
      foreach(header ${headers_${other}})
        list(APPEND forbidden ${header})
        set(owner_${header} ${other})
      endforeach()
    endif()
  endforeach()
  # The positive control: its own headers and those of what it links.
  set(wanted ${headers_${lib}})
  foreach(dep ${deps_${lib}})
    list(GET headers_${dep} 0 header)
    list(APPEND wanted ${header})
  endforeach()
  # One preprocessor run per library: -MG lists a header it cannot find as
  # its bare name instead of stopping, a found one as its path in the root.
  set(src ${WORK}/${lib}.cpp)
  set(text "")
  foreach(header ${forbidden} ${wanted})
    string(APPEND text "#include \"${header}\"\n")
  endforeach()
  file(WRITE ${src} "${text}")
  execute_process(COMMAND ${COMPILER} -std=c++20 -M -MG -I${root_${lib}} ${src}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE deps ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    list(APPEND failures "${lib}: the preprocessor failed: ${err}")
    continue()
  endif()
  string(REPLACE "\\\n" " " deps "${deps}")
  foreach(header ${forbidden})
    math(EXPR checked "${checked} + 1")
    string(FIND "${deps}" "${root_${lib}}/${header}" at)
    if(NOT at EQUAL -1)
      list(APPEND failures "${lib} (${layer_${lib}}) can include ${header} of ${owner_${header}} (${layer_${owner_${header}}})")
    endif()
  endforeach()
  foreach(header ${wanted})
    math(EXPR checked "${checked} + 1")
    string(FIND "${deps}" "${root_${lib}}/${header}" at)
    if(at EQUAL -1)
      list(APPEND failures "${lib} cannot include ${header}, which it may use")
    endif()
  endforeach()
endforeach()

# No include may reach around the roots with a relative path.
file(GLOB_RECURSE sources ${SOURCE_DIR}/src/*.h ${SOURCE_DIR}/src/*.cpp)
foreach(src ${sources})
  file(STRINGS ${src} lines REGEX "^[ \t]*#[ \t]*include[ \t]*[\"<][.][.]?/")
  if(lines)
    list(APPEND failures "${src}: relative include ${lines}")
  endif()
endforeach()

if(failures)
  list(JOIN failures "\n  " text)
  message(FATAL_ERROR "layer violations:\n  ${text}")
endif()
list(LENGTH names n)
message(STATUS "layers hold: ${n} libraries, ${checked} includes checked")
