// The sub-commands of storybrush-cli, one file each (cmd_<name>.cpp). argv[1] is the sub-command's name.
#pragma once

namespace storybrush::cli {

int runBench(int argc, char** argv);
int runCheckPrompt(int argc, char** argv);
int runCheckImage(int argc, char** argv);
int runCompose(int argc, char** argv);
int runDevices(int argc, char** argv);
int runGenerate(int argc, char** argv);
int runInspect(int argc, char** argv);
int runTokenize(int argc, char** argv);

}  // namespace storybrush::cli
