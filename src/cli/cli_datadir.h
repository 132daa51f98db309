/*
 * cli_datadir.h - where the `ogem` command finds the data files it ships
 * (today tools/plot_paper.py, the plotter of `ogem paper`).
 */
#ifndef OGEM_CLI_DATADIR_H
#define OGEM_CLI_DATADIR_H

/* The first readable one of, with EXE the directory of the running executable:
 *   EXE/../share/ogem/NAME   installed (cmake --install, any --prefix)
 *   EXE/../tools/NAME        build tree directly in the source tree (build/)
 *   EXE/../../tools/NAME     build tree one level deeper
 *   DATADIR/ogem/NAME        the configured install prefix's share/ogem
 * as a malloc'd path (free it), or NULL when none is readable. */
char *cli_data_file(const char *name);

/* The places above, for help texts. */
#define CLI_DATA_FILE_PLACES "../share/ogem beside the ogem binary, else the source tree's tools/"

#endif /* OGEM_CLI_DATADIR_H */
