/* cli_info.h - `ogem info` (cli_info.c): version, devices, build settings. */
#ifndef OGEM_CLI_INFO_H
#define OGEM_CLI_INFO_H

int cli_info_main(int argc, char **argv);

#endif /* OGEM_CLI_INFO_H */
