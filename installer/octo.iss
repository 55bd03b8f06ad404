; Inno Setup 6 script for Octo on Windows.
;
; Build (from the repository root, after `python build/build.py` made dist\Octo\):
;     iscc /DAppVersion=0.1.0 installer\octo.iss
; Output: dist\Octo-<version>-windows-setup.exe
;
; Per-user install, no admin rights: with PrivilegesRequired=lowest, {autopf}
; is the user's %LOCALAPPDATA%\Programs, so the app lands in
; %LOCALAPPDATA%\Programs\Octo. The user's data (database, logs) lives
; elsewhere, in %LOCALAPPDATA%\octo (platformdirs' user_data_dir), together with
; config.toml (user_config_dir), and the installer never touches it.

#ifndef AppVersion
  ; Keep in step with octo_desktop/__init__.py; CI passes /DAppVersion=... from the tag.
  #define AppVersion "0.1.0"
#endif
#define AppName "Octo"
#define AppExe "Octo.exe"
#define CliExe "octo-cli.exe"

[Setup]
; The AppId identifies the app across upgrades and in "Apps & features": never change it.
AppId={{DC99294B-160C-456E-9FB5-DB0889D97654}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Octo
AppComments=Cross-venue crypto arbitrage terminal, trading on paper only
; Every relative path below (Source:, OutputDir, SetupIconFile) is relative to
; the repository root, one folder up from this script.
SourceDir=..
OutputDir=dist
OutputBaseFilename=Octo-{#AppVersion}-windows-setup
SetupIconFile=assets\octo.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName} {#AppVersion}
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; On upgrade, drop the previous build's bundled libraries so no stale module
; from an older version is picked up. This is the program folder only, never
; the user's data.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
; The whole PyInstaller one-folder build: Octo.exe (GUI), octo-cli.exe (console) and _internal\.
Source: "dist\Octo\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Comment: "Crypto arbitrage terminal (paper trading)"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section on purpose: the uninstaller removes only the
; files it installed (the program folder and shortcuts). The user's data in
; %LOCALAPPDATA%\octo (octo.db, logs, config.toml) is never deleted, so
; reinstalling or upgrading keeps the paper-trading history and settings.
