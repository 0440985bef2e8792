/* gui_main — `kartoteka-gtk`: the desktop client (see gui_app.h). */
#include "gui_app.h"

int main(int argc, char **argv) { return gui_app_run(argc, argv); }
