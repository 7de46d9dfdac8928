@echo off
rem The "Dala command prompt" from the Start menu: a console where `dala`
rem is on the PATH. Dala writes Kazakh and Russian to the console itself
rem (WriteConsoleW), whatever the code page.
set "PATH=%~dp0;%PATH%"
title Dala
cd /d "%USERPROFILE%"
dala --help
