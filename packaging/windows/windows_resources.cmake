# samlabel_add_windows_resources(<target> <description>): gives a Windows
# executable samlabel's icon, version information and manifest (UTF-8 code
# page, per-monitor DPI awareness), through a configured samlabel.rc.
# Used by app/CMakeLists.txt and by the cross-built checks (tests/windows),
# which prove the manifest takes effect.
set(_samlabel_windows_dir "${CMAKE_CURRENT_LIST_DIR}")
function(samlabel_add_windows_resources target description)
  get_filename_component(SAMLABEL_ICON_ICO "${_samlabel_windows_dir}/../../resources/icons/samlabel.ico" ABSOLUTE)
  set(SAMLABEL_MANIFEST "${_samlabel_windows_dir}/samlabel.manifest")
  set(SAMLABEL_RC_NAME "${target}")
  set(SAMLABEL_RC_DESCRIPTION "${description}")
  set(rc "${CMAKE_CURRENT_BINARY_DIR}/${target}.rc")
  configure_file("${_samlabel_windows_dir}/samlabel.rc.in" "${rc}" @ONLY)
  target_sources(${target} PRIVATE "${rc}")
  if(MSVC)
    # The manifest comes from the .rc: keep the linker from embedding its own.
    target_link_options(${target} PRIVATE /MANIFEST:NO)
  endif()
endfunction()
