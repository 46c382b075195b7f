# Layers as build targets (docs/architecture.md). Every library under src/
# belongs to one layer; a library may link only libraries of the layers its
# own layer may use, and it compiles against an include root that holds only
# its own headers and those of what it links. A wrong-way include therefore
# fails to build ("No such file or directory"), whatever a reviewer sees.
#
# The layers, lowest first, and what each may use. The pipeline knows only
# the ports; the app layer (composition) is where adapters are chosen.
set(DOCPIPE_LAYERS common ports adapters pipeline app cli)
set(DOCPIPE_LAYER_USES_common common)
set(DOCPIPE_LAYER_USES_ports common ports)
set(DOCPIPE_LAYER_USES_adapters common ports adapters)
set(DOCPIPE_LAYER_USES_pipeline common ports pipeline)
set(DOCPIPE_LAYER_USES_app common ports adapters pipeline app)
set(DOCPIPE_LAYER_USES_cli common ports adapters pipeline app cli)

set(DOCPIPE_SRC ${CMAKE_SOURCE_DIR}/src)
set(DOCPIPE_LAYER_ROOTS ${CMAKE_BINARY_DIR}/layers)

# docpipe_library(<name> LAYER <layer> FILES <globs relative to src/>...
#                 [DEPS <docpipe libraries>...] [LIBS <other link items>...])
# Files already claimed by an earlier library are skipped, so a port declared
# first takes its headers and the adapters' folder glob takes the rest. A
# library without sources is an INTERFACE library (a header-only port).
function(docpipe_library name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "LAYER" "FILES;DEPS;LIBS")
  if(NOT arg_LAYER IN_LIST DOCPIPE_LAYERS)
    message(FATAL_ERROR "${name}: unknown layer '${arg_LAYER}' (layers: ${DOCPIPE_LAYERS})")
  endif()
  set(files)
  foreach(glob ${arg_FILES})
    file(GLOB matched CONFIGURE_DEPENDS RELATIVE ${DOCPIPE_SRC} ${DOCPIPE_SRC}/${glob})
    if(NOT matched)
      message(FATAL_ERROR "${name}: '${glob}' matches no file under src/")
    endif()
    list(APPEND files ${matched})
  endforeach()
  get_property(claimed GLOBAL PROPERTY DOCPIPE_CLAIMED_FILES)
  if(claimed)
    list(REMOVE_ITEM files ${claimed})
  endif()
  list(REMOVE_DUPLICATES files)
  set_property(GLOBAL APPEND PROPERTY DOCPIPE_CLAIMED_FILES ${files})
  set(headers ${files})
  list(FILTER headers INCLUDE REGEX "\\.h$")
  set(sources ${files})
  list(FILTER sources INCLUDE REGEX "\\.cpp$")

  # What this library may link, and so see.
  set(visible ${headers})
  foreach(dep ${arg_DEPS})
    if(NOT TARGET ${dep})
      message(FATAL_ERROR "${name}: depends on ${dep}, which is not declared before it")
    endif()
    get_target_property(dep_layer ${dep} DOCPIPE_LAYER)
    if(NOT dep_layer IN_LIST DOCPIPE_LAYER_USES_${arg_LAYER})
      message(FATAL_ERROR "${name} (layer ${arg_LAYER}) may not depend on ${dep} (layer ${dep_layer}): "
                          "layer ${arg_LAYER} uses only ${DOCPIPE_LAYER_USES_${arg_LAYER}} (docs/architecture.md)")
    endif()
    get_target_property(dep_visible ${dep} DOCPIPE_VISIBLE_HEADERS)
    list(APPEND visible ${dep_visible})
  endforeach()
  list(REMOVE_DUPLICATES visible)

  # The include root: a link per visible header, nothing else of src/.
  set(root ${DOCPIPE_LAYER_ROOTS}/${name})
  file(REMOVE_RECURSE ${root})
  foreach(header ${visible})
    get_filename_component(dir ${root}/${header} DIRECTORY)
    file(MAKE_DIRECTORY ${dir})
    file(CREATE_LINK ${DOCPIPE_SRC}/${header} ${root}/${header} SYMBOLIC)
  endforeach()
  file(MAKE_DIRECTORY ${root})

  list(TRANSFORM sources PREPEND ${DOCPIPE_SRC}/)
  if(sources)
    add_library(${name} STATIC ${sources})
    target_include_directories(${name} PRIVATE ${root})
    target_link_libraries(${name} PUBLIC ${arg_DEPS} ${arg_LIBS})
    docpipe_precompile(${name})
    docpipe_unity(${name})
  else()
    add_library(${name} INTERFACE)
    target_link_libraries(${name} INTERFACE ${arg_DEPS} ${arg_LIBS})
  endif()
  set_target_properties(${name} PROPERTIES DOCPIPE_LAYER ${arg_LAYER} DOCPIPE_VISIBLE_HEADERS "${visible}"
                                           DOCPIPE_INCLUDE_ROOT ${root})
  # One row per library for the layers test (tests/layers/check_layers.cmake).
  string(REPLACE ";" "," header_list "${headers}")
  string(REPLACE ";" "," dep_list "${arg_DEPS}")
  set_property(GLOBAL APPEND PROPERTY DOCPIPE_LAYER_MANIFEST "${name}|${arg_LAYER}|${root}|${header_list}|${dep_list}")
endfunction()

# Fails the configuration when a file under src/ belongs to no library (it
# would silently not be built).
function(docpipe_check_all_files_claimed)
  file(GLOB_RECURSE all CONFIGURE_DEPENDS RELATIVE ${DOCPIPE_SRC} ${DOCPIPE_SRC}/*.h ${DOCPIPE_SRC}/*.cpp)
  get_property(claimed GLOBAL PROPERTY DOCPIPE_CLAIMED_FILES)
  list(REMOVE_ITEM all ${claimed} ${ARGN})
  if(all)
    message(FATAL_ERROR "src/ files in no library (add them to src/libraries.cmake): ${all}")
  endif()
  # The layer rules first, then one row per library.
  set(rules)
  foreach(layer ${DOCPIPE_LAYERS})
    string(REPLACE ";" "," uses "${DOCPIPE_LAYER_USES_${layer}}")
    list(APPEND rules "@layer|${layer}|${uses}")
  endforeach()
  get_property(manifest GLOBAL PROPERTY DOCPIPE_LAYER_MANIFEST)
  list(PREPEND manifest ${rules})
  list(JOIN manifest "\n" manifest)
  file(WRITE ${DOCPIPE_LAYER_ROOTS}/libraries.txt "${manifest}\n")
endfunction()
