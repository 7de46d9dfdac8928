; dala-setup.exe: installs the volunteer's `dala.exe` for one Windows user.
;
; - No administrator rights: everything goes under the user's own
;   %LOCALAPPDATA%\Programs\Dala and HKCU, so a volunteer installs it on
;   an NGO laptop without an IT person.
; - The profile (records, the sealed device key) is %LOCALAPPDATA%\Dala,
;   apart from the program: reinstalling or uninstalling never touches it,
;   unless the volunteer ticks "remove my records and key" (or passes
;   /REMOVEPROFILE to a silent uninstall).
; - Kazakh, Russian and English; Windows chooses by the user's language.
;   NSIS has no Kazakh file of its own: lang/Kazakh.nlf and Kazakh.nsh.
;
; Built by scripts/windows-build: makensis -DVERSION=... -DDALA_EXE=...
; -DOUT=... packaging/windows/dala.nsi

Unicode true
; A 64-bit installer for a 64-bit program: it also runs under Wine's
; 64-bit loader alone, without the 32-bit half CI would have to install.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma
!include "MUI2.nsh"
!include "FileFunc.nsh"

!ifndef VERSION
  !error "makensis -DVERSION=x.y.z"
!endif
!ifndef DALA_EXE
  !error "makensis -DDALA_EXE=path/to/dala.exe"
!endif
!ifndef OUT
  !define OUT "dala-setup.exe"
!endif

!define UNINSTALL_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Dala"

Name "Dala"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Dala"
InstallDirRegKey HKCU "${UNINSTALL_KEY}" "InstallLocation"
BrandingText "Dala ${VERSION}"
VIProductVersion "${VERSION}.0"
VIAddVersionKey /LANG=1033 "ProductName" "Dala"
VIAddVersionKey /LANG=1033 "FileDescription" "Dala installer"
VIAddVersionKey /LANG=1033 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1033 "LegalCopyright" "Dala"

!define MUI_ABORTWARNING
; Asked before any language is chosen, so in all three at once.
!define MUI_LANGDLL_WINDOWTITLE "Dala"
!define MUI_LANGDLL_INFO "Тілді таңдаңыз / Выберите язык / Choose a language"
!define MUI_FINISHPAGE_RUN "$INSTDIR\dala.exe"
!define MUI_FINISHPAGE_RUN_PARAMETERS "ui"
!define MUI_FINISHPAGE_RUN_TEXT "$(OpenDala)"
!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_COMPONENTS
!insertmacro MUI_UNPAGE_INSTFILES

; The first language is the default when Windows' own is none of them.
!insertmacro MUI_LANGUAGE "English"
!insertmacro MUI_LANGUAGE "Russian"
!insertmacro MUI_LANGUAGEEX "${__FILEDIR__}/lang" "Kazakh"

LangString OpenDala ${LANG_ENGLISH} "Open Dala"
LangString OpenDala ${LANG_RUSSIAN} "Открыть Dala"
LangString OpenDala ${LANG_KAZAKH} "Dala-ны ашу"
LangString PromptName ${LANG_ENGLISH} "Dala command prompt"
LangString PromptName ${LANG_RUSSIAN} "Командная строка Dala"
LangString PromptName ${LANG_KAZAKH} "Dala командалық жолы"
LangString UninstallName ${LANG_ENGLISH} "Uninstall Dala"
LangString UninstallName ${LANG_RUSSIAN} "Удалить Dala"
LangString UninstallName ${LANG_KAZAKH} "Dala-ны жою"
LangString ProfileSection ${LANG_ENGLISH} "Also remove my records and this laptop's key"
LangString ProfileSection ${LANG_RUSSIAN} "Удалить также мои записи и ключ этого ноутбука"
LangString ProfileSection ${LANG_KAZAKH} "Менің жазбаларым мен осы ноутбуктің кілтін де жою"
LangString ProfileSectionHelp ${LANG_ENGLISH} "Records not yet synced are lost for good. Leave this unticked unless you have synced or made a backup (dala backup)."
LangString ProfileSectionHelp ${LANG_RUSSIAN} "Ещё не отправленные записи пропадут навсегда. Не отмечайте, если не выполнили синхронизацию или резервную копию (dala backup)."
LangString ProfileSectionHelp ${LANG_KAZAKH} "Әлі жіберілмеген жазбалар біржола жоғалады. Синхрондамасаңыз немесе көшірме жасамасаңыз (dala backup), белгілемеңіз."

Section "Dala" SecDala
  SectionIn RO
  SetOutPath "$INSTDIR"
  File "/oname=dala.exe" "${DALA_EXE}"
  File "${__FILEDIR__}/dala-prompt.cmd"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\Dala"
  CreateShortcut "$SMPROGRAMS\Dala\Dala.lnk" "$INSTDIR\dala.exe" "ui" "$INSTDIR\dala.exe" 0
  CreateShortcut "$SMPROGRAMS\Dala\$(PromptName).lnk" "$SYSDIR\cmd.exe" '/k "$INSTDIR\dala-prompt.cmd"' "$SYSDIR\cmd.exe" 0
  CreateShortcut "$SMPROGRAMS\Dala\$(UninstallName).lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayName" "Dala"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "Publisher" "Dala"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "DisplayIcon" "$INSTDIR\dala.exe"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINSTALL_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKCU "${UNINSTALL_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  WriteRegDWORD HKCU "${UNINSTALL_KEY}" "EstimatedSize" $0
SectionEnd

Section "un.Dala" UnSecDala
  SectionIn RO
  Delete "$INSTDIR\dala.exe"
  Delete "$INSTDIR\dala-prompt.cmd"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\Dala\*.lnk"
  RMDir "$SMPROGRAMS\Dala"
  DeleteRegKey HKCU "${UNINSTALL_KEY}"
SectionEnd

; Off unless ticked, or /REMOVEPROFILE on the command line (un.onInit).
Section /o "un.$(ProfileSection)" UnSecProfile
  RMDir /r "$LOCALAPPDATA\Dala"
SectionEnd

!insertmacro MUI_UNFUNCTION_DESCRIPTION_BEGIN
  !insertmacro MUI_DESCRIPTION_TEXT ${UnSecProfile} "$(ProfileSectionHelp)"
!insertmacro MUI_UNFUNCTION_DESCRIPTION_END

Function .onInit
  !insertmacro MUI_LANGDLL_DISPLAY
FunctionEnd

Function un.onInit
  ${un.GetParameters} $0
  ClearErrors
  ${un.GetOptions} $0 "/REMOVEPROFILE" $1
  IfErrors +2 0
    SectionSetFlags ${UnSecProfile} ${SF_SELECTED}
FunctionEnd
