; An installer for the Windows test bundle (platform_layer_checks.exe): proves
; that Debian's makensis with its 64-bit Unicode stub makes an installer that
; installs into a non-ASCII folder, runs, and uninstalls cleanly under wine.
; makensis -DBUNDLE_EXE=<exe> -DOUT_FILE=<setup.exe> -DINSTALL_DIR=<folder> round_trip.nsi
; (The folder is built in: wine quotes a /D= argument holding spaces, and NSIS
; takes /D= only unquoted.)
Unicode true
Target amd64-unicode
!ifndef BUNDLE_EXE | OUT_FILE | INSTALL_DIR
  !error "pass -DBUNDLE_EXE=<path to platform_layer_checks.exe> -DOUT_FILE=<installer path> -DINSTALL_DIR=<folder>"
!endif
Name "samlabel platform checks"
OutFile "${OUT_FILE}"
InstallDir "${INSTALL_DIR}"
RequestExecutionLevel user

Section
  SetOutPath "$INSTDIR"
  File "/oname=platform_layer_checks.exe" "${BUNDLE_EXE}"
  WriteUninstaller "$INSTDIR\uninstall.exe"
SectionEnd

Section "Uninstall"
  Delete "$INSTDIR\platform_layer_checks.exe"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
SectionEnd
