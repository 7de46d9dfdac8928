# The Debian packages dala and dala-server (scripts/package), made by
# CPack's DEB generator from the install() rules: the build is CMake's
# already, so the packages hold exactly what `cmake --install` installs,
# and CPack runs dpkg-shlibdeps for the Depends. What debhelper would add
# is here by hand: the man pages, copyright and changelog, the maintainer
# scripts (their systemd parts are debhelper's snippets) and conffiles.
# Included by the top CMakeLists.txt when DALA_PACKAGE_DEB is ON.

find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(deb_dir "${CMAKE_CURRENT_LIST_DIR}")
set(deb_out "${PROJECT_BINARY_DIR}/deb")
file(MAKE_DIRECTORY "${deb_out}")

# Man pages from the built programs' own --help (manpage.py), at build
# time, so they cannot drift from the programs.
function(dala_man_page target name section)
  set(page "${deb_out}/${name}.${section}")
  add_custom_command(OUTPUT "${page}.gz"
    COMMAND Python3::Interpreter "${deb_dir}/manpage.py" "$<TARGET_FILE:${target}>" ${name} ${section} "${page}"
            --version "Dala ${PROJECT_VERSION}" --extra "${deb_dir}/${name}.${section}.extra"
    COMMAND gzip -9nf "${page}"
    DEPENDS ${target} "${deb_dir}/manpage.py" "${deb_dir}/${name}.${section}.extra"
    VERBATIM)
  add_custom_target(${name}_man_page ALL DEPENDS "${page}.gz")
  install(FILES "${page}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man${section}" COMPONENT ${name})
endfunction()
dala_man_page(dala dala 1)
dala_man_page(dala-server dala-server 8)

add_custom_command(OUTPUT "${deb_out}/changelog.Debian.gz"
  COMMAND gzip -9nc "${deb_dir}/changelog" > "${deb_out}/changelog.Debian.gz"
  DEPENDS "${deb_dir}/changelog")
add_custom_target(dala_deb_changelog ALL DEPENDS "${deb_out}/changelog.Debian.gz")
foreach(component dala dala-server)
  install(FILES "${deb_dir}/copyright" "${deb_out}/changelog.Debian.gz"
          DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/${component}" COMPONENT ${component})
endforeach()
foreach(component dala dala-server)
  install(FILES "${deb_dir}/${component}.lintian-overrides" DESTINATION "${CMAKE_INSTALL_DATADIR}/lintian/overrides"
          RENAME ${component} COMPONENT ${component})
endforeach()
install(FILES "${deb_dir}/README.Debian" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/dala-server" COMPONENT dala-server)
# Debian 12's systemd and lintian expect units in /lib (usrmerge or not).
install(FILES "${deb_dir}/dala-server.service" DESTINATION /lib/systemd/system COMPONENT dala-server)
install(FILES "${deb_dir}/dala-server.conf" DESTINATION /etc/dala COMPONENT dala-server)

# dpkg-deb wants the maintainer scripts under their own names.
foreach(script postinst prerm postrm conffiles)
  configure_file("${deb_dir}/dala-server.${script}" "${deb_out}/control/${script}" COPYONLY)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dala)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "Dala maintainers <dala@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dala dala-server)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_HOMEPAGE "https://dala.example.org")

set(CPACK_DEBIAN_DALA_PACKAGE_NAME dala)
set(CPACK_DEBIAN_DALA_PACKAGE_SECTION utils)
set(CPACK_COMPONENT_DALA_DESCRIPTION
"offline field data collection with signed records
Dala is a field data collection system for civil-society monitoring of
public services. Volunteers fill in observation checklists and citizen
surveys on a laptop without a network, in a terminal or in the laptop's
own browser (dala ui); every record is signed with the laptop's Ed25519
key and later synced with a dala-server. The same program holds the
coordinators' review commands and the auditors' offline verification of
a server's bundle. Kazakh, Russian and English.")

set(CPACK_DEBIAN_DALA-SERVER_PACKAGE_NAME dala-server)
set(CPACK_DEBIAN_DALA-SERVER_PACKAGE_SECTION net)
# The postinst creates the `dala` system user.
set(CPACK_DEBIAN_DALA-SERVER_PACKAGE_DEPENDS adduser)
set(CPACK_DEBIAN_DALA-SERVER_PACKAGE_CONTROL_EXTRA
    "${deb_out}/control/postinst;${deb_out}/control/prerm;${deb_out}/control/postrm;${deb_out}/control/conffiles")
set(CPACK_COMPONENT_DALA-SERVER_DESCRIPTION
"server for Dala's signed field records
dala-server receives the records Dala volunteers sign on their laptops,
keeps them in a tamper-evident transparency log and serves the
coordinators' review dashboard over HTTPS, one program with SQLite and no
other service. It comes with a sandboxed systemd unit that runs it as the
dala system user on /var/lib/dala, with its settings in
/etc/dala/dala-server.conf.")

include(CPack)
