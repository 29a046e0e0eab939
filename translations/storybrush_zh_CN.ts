<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>QObject</name>
    <message>
        <source>Choose…</source>
        <translation>选择…</translation>
    </message>
    <message>
        <source>%1 GB</source>
        <translation>%1 GB</translation>
    </message>
    <message>
        <source>%1 MB</source>
        <translation>%1 MB</translation>
    </message>
</context>
<context>
    <name>storybrush::BinDialog</name>
    <message>
        <source>The bin</source>
        <translation>回收站</translation>
    </message>
    <message>
        <source>Pictures you moved to the bin. Put one back, or empty the bin to delete them for good.</source>
        <translation>这里是放进回收站的画。可以放回去，也可以清空回收站，永远删掉它们。</translation>
    </message>
    <message>
        <source>Put back</source>
        <translation>放回去</translation>
    </message>
    <message>
        <source>Empty the bin</source>
        <translation>清空回收站</translation>
    </message>
    <message>
        <source>Delete these pictures for good?</source>
        <translation>真的要永远删掉这些画吗？</translation>
    </message>
</context>
<context>
    <name>storybrush::CanvasTools</name>
    <message>
        <source>Change a part</source>
        <translation>改一部分</translation>
    </message>
    <message>
        <source>Paint over the part to draw again (B)</source>
        <translation>涂在想重画的地方（B）</translation>
    </message>
    <message>
        <source>Make the page bigger</source>
        <translation>把画纸变大</translation>
    </message>
    <message>
        <source>Add room on a side; the new part is drawn to match</source>
        <translation>在旁边加一块地方，新的部分会接着画好</translation>
    </message>
    <message>
        <source>Wider on the left</source>
        <translation>左边加宽</translation>
    </message>
    <message>
        <source>Wider on the right</source>
        <translation>右边加宽</translation>
    </message>
    <message>
        <source>Wider on both sides (a two-page spread)</source>
        <translation>两边都加宽（做成跨页）</translation>
    </message>
    <message>
        <source>Taller at the top</source>
        <translation>上面加高</translation>
    </message>
    <message>
        <source>Taller at the bottom</source>
        <translation>下面加高</translation>
    </message>
    <message>
        <source>Keep the page as it is</source>
        <translation>画纸保持原样</translation>
    </message>
    <message>
        <source>Look</source>
        <translation>看看</translation>
    </message>
    <message>
        <source>Move and zoom the picture without painting</source>
        <translation>只移动、缩放画，不涂色</translation>
    </message>
    <message>
        <source>Brush</source>
        <translation>画笔</translation>
    </message>
    <message>
        <source>Paint over what should change (B)</source>
        <translation>涂在要改的地方（B）</translation>
    </message>
    <message>
        <source>Eraser</source>
        <translation>橡皮</translation>
    </message>
    <message>
        <source>Take paint away (E)</source>
        <translation>擦掉涂色（E）</translation>
    </message>
    <message>
        <source>Brush size ([ and ])</source>
        <translation>画笔大小（[ 和 ]）</translation>
    </message>
    <message>
        <source>Brush softness</source>
        <translation>画笔软硬</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo the last stroke (Ctrl+Z)</source>
        <translation>撤销上一笔（Ctrl+Z）</translation>
    </message>
    <message>
        <source>Redo</source>
        <translation>重做</translation>
    </message>
    <message>
        <source>Redo (Ctrl+Shift+Z)</source>
        <translation>重做（Ctrl+Shift+Z）</translation>
    </message>
    <message>
        <source>More</source>
        <translation>更多</translation>
    </message>
    <message>
        <source>Clear, mark everything, swap</source>
        <translation>清除、全部涂上、反过来</translation>
    </message>
    <message>
        <source>Clear the paint</source>
        <translation>擦掉全部涂色</translation>
    </message>
    <message>
        <source>Paint everything</source>
        <translation>全部涂上</translation>
    </message>
    <message>
        <source>Swap painted and unpainted</source>
        <translation>涂过的和没涂的反过来</translation>
    </message>
    <message>
        <source>How much to change: a little (left) or all of it (right)</source>
        <translation>改多少：往左改一点，往右全部重画</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Soft</source>
        <translation>柔和</translation>
    </message>
    <message>
        <source>How much to change</source>
        <translation>改多少</translation>
    </message>
    <message>
        <source>Fit</source>
        <translation>看全图</translation>
    </message>
    <message>
        <source>Show the whole picture (Ctrl+0)</source>
        <translation>显示整张画（Ctrl+0）</translation>
    </message>
    <message>
        <source>Page: +%1 px</source>
        <translation>画纸：+%1 像素</translation>
    </message>
    <message>
        <source>%1 %</source>
        <translation>%1 %</translation>
    </message>
</context>
<context>
    <name>storybrush::CanvasView</name>
    <message>
        <source>OK</source>
        <translation>好的</translation>
    </message>
    <message>
        <source>Let&apos;s make a picture together!</source>
        <translation>我们一起来画画吧！</translation>
    </message>
    <message>
        <source>Type what you would like to see, or try one of these:</source>
        <translation>写下你想看到的画面，或者试试这些：</translation>
    </message>
    <message>
        <source>a smiling baby dolphin playing with a ball</source>
        <translation>一只微笑的小海豚在玩球</translation>
    </message>
    <message>
        <source>a bunny in red overalls in a flower garden</source>
        <translation>花园里一只穿红色背带裤的小兔子</translation>
    </message>
    <message>
        <source>a friendly dragon having a picnic with a bear</source>
        <translation>一条友好的小龙和小熊一起野餐</translation>
    </message>
    <message>
        <source>This file could not be opened as a picture: %1</source>
        <translation>这个文件打不开，不是一张画：%1</translation>
    </message>
</context>
<context>
    <name>storybrush::EngineWorker</name>
    <message>
        <source>There was not enough memory for this picture. Try a smaller size or fewer pictures at once.</source>
        <translation>内存不够画这张画。试试小一点的尺寸，或者一次少画几张。</translation>
    </message>
    <message>
        <source>Something went wrong inside the drawing engine: %1</source>
        <translation>画画引擎出了点问题：%1</translation>
    </message>
    <message>
        <source>Something went wrong inside the drawing engine.</source>
        <translation>画画引擎出了点问题。</translation>
    </message>
</context>
<context>
    <name>storybrush::GalleryStrip</name>
    <message>
        <source>Our pictures</source>
        <translation>我们的画</translation>
    </message>
    <message>
        <source>Find a picture…</source>
        <translation>找一张画…</translation>
    </message>
    <message>
        <source>Pictures you make will appear here.</source>
        <translation>画好的画会出现在这里。</translation>
    </message>
    <message>
        <source>Show it big</source>
        <translation>放大看看</translation>
    </message>
    <message>
        <source>Save a copy…</source>
        <translation>另存一份…</translation>
    </message>
    <message>
        <source>Save a copy</source>
        <translation>另存一份</translation>
    </message>
    <message>
        <source>Pictures (*.png)</source>
        <translation>图片 (*.png)</translation>
    </message>
    <message>
        <source>The copy could not be saved there. Try another folder.</source>
        <translation>这里存不了，换个文件夹试试吧。</translation>
    </message>
    <message>
        <source>Move to the bin</source>
        <translation>放进回收站</translation>
    </message>
    <message>
        <source>Not a favourite any more</source>
        <translation>不再是最爱</translation>
    </message>
    <message>
        <source>A favourite ★</source>
        <translation>设为最爱 ★</translation>
    </message>
    <message>
        <source>The bin…</source>
        <translation>回收站…</translation>
    </message>
    <message>
        <source>Change a part of it</source>
        <translation>改其中一部分</translation>
    </message>
    <message>
        <source>Use these settings again</source>
        <translation>用同样的设置再画</translation>
    </message>
</context>
<context>
    <name>storybrush::MainWindow</name>
    <message>
        <source>Storybrush</source>
        <translation>故事画笔 Storybrush</translation>
    </message>
    <message>
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>Kid mode on</source>
        <translation>儿童模式已开启</translation>
    </message>
    <message>
        <source>Model: %1</source>
        <translation>模型：%1</translation>
    </message>
    <message>
        <source>Tell me what to draw first: type an idea or pick a card.</source>
        <translation>先告诉我画什么吧：写一个想法，或者选一张卡片。</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>准备好了</translation>
    </message>
    <message>
        <source>Let&apos;s try another idea!</source>
        <translation>我们换个想法试试吧！</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停下</translation>
    </message>
    <message>
        <source>Done in %1 s</source>
        <translation>画好了，用了 %1 秒</translation>
    </message>
    <message>
        <source>Which picture model draws</source>
        <translation>用哪个模型来画</translation>
    </message>
    <message>
        <source>Built-in model</source>
        <translation>内置模型</translation>
    </message>
    <message>
        <source>Choose a model file…</source>
        <translation>选择模型文件…</translation>
    </message>
    <message>
        <source>Choose a model folder…</source>
        <translation>选择模型文件夹…</translation>
    </message>
    <message>
        <source>Choose a model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Choose a model file</source>
        <translation>选择模型文件</translation>
    </message>
    <message>
        <source>Safe model files (*.safetensors)</source>
        <translation>安全的模型文件 (*.safetensors)</translation>
    </message>
    <message>
        <source>That sounds a bit too scary. Let&apos;s draw something cosy instead!</source>
        <translation>这个听起来有点吓人。我们画点温暖可爱的吧！</translation>
    </message>
    <message>
        <source>Let&apos;s try another idea! How about an animal, a place and something fun to do?</source>
        <translation>我们换个想法试试吧！选一只小动物、一个地方，再加一件好玩的事，怎么样？</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Models folder, graphics card, language, previews</source>
        <translation>模型文件夹、显卡、语言、预览</translation>
    </message>
    <message>
        <source>Kid mode off</source>
        <translation>儿童模式已关闭</translation>
    </message>
    <message>
        <source>Every picture is checked before anyone sees it. A grown-up&apos;s PIN turns this off.</source>
        <translation>每张画都会先检查，再给人看。要关闭需要大人的密码。</translation>
    </message>
    <message>
        <source>Grown-up mode: previews are shown as they are. Click to turn kid mode back on.</source>
        <translation>大人模式：预览按原样显示。点一下就回到儿童模式。</translation>
    </message>
    <message>
        <source>Bring in a model</source>
        <translation>添加模型</translation>
    </message>
    <message>
        <source>Manage models…</source>
        <translation>管理模型…</translation>
    </message>
    <message>
        <source>Manage the models</source>
        <translation>管理模型</translation>
    </message>
</context>
<context>
    <name>storybrush::ModelCatalog</name>
    <message>
        <source>Built-in</source>
        <translation>内置</translation>
    </message>
    <message>
        <source>Built-in model</source>
        <translation>内置模型</translation>
    </message>
    <message>
        <source>%1 was not found.</source>
        <translation>找不到 %1。</translation>
    </message>
    <message>
        <source>%1 is a folder but not a diffusers model (it has no model_index.json).</source>
        <translation>%1 是一个文件夹，但不是 diffusers 模型（里面没有 model_index.json）。</translation>
    </message>
    <message>
        <source>%1 is not a .safetensors file. Storybrush brings in .safetensors models and LoRAs only.</source>
        <translation>%1 不是 .safetensors 文件。Storybrush 只添加 .safetensors 格式的模型和 LoRA。</translation>
    </message>
    <message>
        <source>%1 cannot be used: %2</source>
        <translation>%1 不能用：%2</translation>
    </message>
    <message>
        <source>The models folder %1 cannot be made.</source>
        <translation>无法创建模型文件夹 %1。</translation>
    </message>
    <message>
        <source>%1 is already in your models folder.</source>
        <translation>%1 已经在你的模型文件夹里了。</translation>
    </message>
    <message>
        <source>%1 cannot be written to: %2</source>
        <translation>%1 无法写入：%2</translation>
    </message>
    <message>
        <source>%1 could not be copied into %2. Is the disk full?</source>
        <translation>%1 没能复制到 %2。是不是磁盘满了？</translation>
    </message>
    <message>
        <source>%1 was not brought in: %2</source>
        <translation>%1 没有添加进来：%2</translation>
    </message>
    <message>
        <source>%1 could not be put into %2.</source>
        <translation>%1 没能放进 %2。</translation>
    </message>
    <message>
        <source>%1 is in your style add-ons now.</source>
        <translation>%1 已经加入你的风格插件。</translation>
    </message>
    <message>
        <source>%1 is in your models now.</source>
        <translation>%1 已经加入你的模型。</translation>
    </message>
</context>
<context>
    <name>storybrush::ModelManagerDialog</name>
    <message>
        <source>Picture models</source>
        <translation>画画模型</translation>
    </message>
    <message>
        <source>The models Storybrush can draw with. To bring in a model, drop its .safetensors file (or diffusers folder) here: it is copied into your models folder and checked first.</source>
        <translation>Storybrush 可以用来画画的模型。要添加模型，把它的 .safetensors 文件（或 diffusers 文件夹）拖到这里：会先复制到你的模型文件夹并检查一遍。</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Size on disk</source>
        <translation>占用空间</translation>
    </message>
    <message>
        <source>Repaints parts</source>
        <translation>能重画局部</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>准备好了</translation>
    </message>
    <message>
        <source>This model&apos;s own starting settings</source>
        <translation>这个模型自己的起始设置</translation>
    </message>
    <message>
        <source>Picture size</source>
        <translation>画的大小</translation>
    </message>
    <message>
        <source>Leave as it is</source>
        <translation>保持不变</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Guidance</source>
        <translation>引导强度</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Keep these for this model</source>
        <translation>给这个模型记住这些设置</translation>
    </message>
    <message>
        <source>Bring in a model…</source>
        <translation>添加模型…</translation>
    </message>
    <message>
        <source>Draw with this model</source>
        <translation>用这个模型画</translation>
    </message>
    <message>
        <source>Kept. They apply each time this model is chosen.</source>
        <translation>记住了。每次选这个模型时都会用这些设置。</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>Yes, made for it</source>
        <translation>能，专门为此做的</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>能</translation>
    </message>
    <message>
        <source>Cannot be used</source>
        <translation>不能用</translation>
    </message>
    <message>
        <source>Bringing the model in and checking it…</source>
        <translation>正在添加并检查模型…</translation>
    </message>
    <message>
        <source>Bring in a model</source>
        <translation>添加模型</translation>
    </message>
    <message>
        <source>Safe model files (*.safetensors)</source>
        <translation>安全的模型文件 (*.safetensors)</translation>
    </message>
    <message>
        <source>No models yet: drop a model file here.</source>
        <translation>还没有模型：把模型文件拖到这里。</translation>
    </message>
    <message>
        <source>%1 cannot be used: %2</source>
        <translation>%1 不能用：%2</translation>
    </message>
    <message>
        <source>%1 draws %2×%2 pictures.</source>
        <translation>%1 画 %2×%2 的画。</translation>
    </message>
    <message>
        <source>It was made for repainting parts of a picture.</source>
        <translation>它是专门为重画画的局部而做的。</translation>
    </message>
    <message>
        <source>Its own size (%1 px)</source>
        <translation>它自己的大小（%1 像素）</translation>
    </message>
    <message>
        <source>%1 px</source>
        <translation>%1 像素</translation>
    </message>
</context>
<context>
    <name>storybrush::PinDialog</name>
    <message>
        <source>For grown-ups</source>
        <translation>给大人</translation>
    </message>
    <message>
        <source>%1: first choose a PIN of 4 to 12 digits. It will be asked for whenever kid mode is turned off or the settings are changed.</source>
        <translation>%1：请先设一个 4 到 12 位数字的密码。以后关闭儿童模式或修改设置时都要输入它。</translation>
    </message>
    <message>
        <source>%1: please enter the grown-ups&apos; PIN.</source>
        <translation>%1：请输入大人的密码。</translation>
    </message>
    <message>
        <source>PIN</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Once more</source>
        <translation>再输一次</translation>
    </message>
    <message>
        <source>A PIN has at least 4 digits.</source>
        <translation>密码至少要 4 位数字。</translation>
    </message>
    <message>
        <source>The two PINs are not the same. Please type it again.</source>
        <translation>两次输入的密码不一样，请再输一次。</translation>
    </message>
</context>
<context>
    <name>storybrush::ProgressStrip</name>
    <message>
        <source>Ready</source>
        <translation>准备好了</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停下</translation>
    </message>
    <message>
        <source>Getting ready to draw…</source>
        <translation>正在准备画画…</translation>
    </message>
    <message>
        <source>Picture %1 of %2 · step %3 of %4</source>
        <translation>第 %1 张，共 %2 张 · 第 %3 步，共 %4 步</translation>
    </message>
    <message>
        <source>Step %1 of %2</source>
        <translation>第 %1 步，共 %2 步</translation>
    </message>
    <message>
        <source>about 1 second left</source>
        <translation>还要大约 1 秒</translation>
    </message>
    <message>
        <source>about %1 seconds left</source>
        <translation>还要大约 %1 秒</translation>
    </message>
    <message>
        <source>about 1 minute left</source>
        <translation>还要大约 1 分钟</translation>
    </message>
    <message>
        <source>about %1 minutes left</source>
        <translation>还要大约 %1 分钟</translation>
    </message>
    <message>
        <source>model layers %1 of %2</source>
        <translation>模型层 %1/%2</translation>
    </message>
</context>
<context>
    <name>storybrush::PromptPanel</name>
    <message>
        <source>Square</source>
        <translation>方形</translation>
    </message>
    <message>
        <source>What shall we draw?</source>
        <translation>我们画什么呢？</translation>
    </message>
    <message>
        <source>A smiling baby dolphin playing with a ball</source>
        <translation>一只微笑的小海豚在玩球</translation>
    </message>
    <message>
        <source>Or pick an idea:</source>
        <translation>或者选一个想法：</translation>
    </message>
    <message>
        <source>Bunny</source>
        <translation>小兔子</translation>
    </message>
    <message>
        <source>Dolphin</source>
        <translation>海豚</translation>
    </message>
    <message>
        <source>Giraffe</source>
        <translation>长颈鹿</translation>
    </message>
    <message>
        <source>Elephant</source>
        <translation>大象</translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation>更多设置</translation>
    </message>
    <message>
        <source>Things to leave out</source>
        <translation>不想出现在画里的东西</translation>
    </message>
    <message>
        <source>Leave out</source>
        <translation>不要画</translation>
    </message>
    <message>
        <source>Shape</source>
        <translation>形状</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Follow the words</source>
        <translation>贴近描述</translation>
    </message>
    <message>
        <source>random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Keep</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>Keep this seed to draw the same picture again</source>
        <translation>保留这个种子，就能再画出同一张画</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Draw it!</source>
        <translation>画吧！</translation>
    </message>
    <message>
        <source>Ctrl+Enter</source>
        <translation>Ctrl+Enter</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停下</translation>
    </message>
    <message>
        <source>Esc</source>
        <translation>Esc</translation>
    </message>
    <message>
        <source>Kid mode also leaves out: %1</source>
        <translation>儿童模式还会避开：%1</translation>
    </message>
    <message>
        <source>Penguin</source>
        <translation>企鹅</translation>
    </message>
    <message>
        <source>Balloon</source>
        <translation>热气球</translation>
    </message>
    <message>
        <source>Wide (3:2)</source>
        <translation>横版（3:2）</translation>
    </message>
    <message>
        <source>Tall (2:3)</source>
        <translation>竖版（2:3）</translation>
    </message>
    <message>
        <source>Picture-book spread (2:1)</source>
        <translation>绘本跨页（2:1）</translation>
    </message>
    <message>
        <source>Watercolour</source>
        <translation>水彩</translation>
    </message>
    <message>
        <source>Crayon</source>
        <translation>蜡笔</translation>
    </message>
    <message>
        <source>Soft pastel</source>
        <translation>柔和粉彩</translation>
    </message>
    <message>
        <source>Flat cartoon</source>
        <translation>扁平卡通</translation>
    </message>
    <message>
        <source>Paper cut</source>
        <translation>剪纸</translation>
    </message>
    <message>
        <source>Coloured pencil</source>
        <translation>彩色铅笔</translation>
    </message>
    <message>
        <source>Style:</source>
        <translation>画风：</translation>
    </message>
    <message>
        <source>Pictures at once</source>
        <translation>一次画几张</translation>
    </message>
    <message>
        <source>The style adds: %1</source>
        <translation>画风会加上：%1</translation>
    </message>
    <message>
        <source>%1/%2 · long: read in %3 parts</source>
        <translation>%1/%2 · 有点长：分成 %3 段来读</translation>
    </message>
    <message>
        <source>%1/%2</source>
        <translation>%1/%2</translation>
    </message>
    <message>
        <source>Word pieces the model reads. Up to 75 are read together; a longer text is read in parts, and words far apart matter less to each other.</source>
        <translation>这是模型读到的词块数。最多 75 个会一起读；更长的文字会分段读，离得远的词彼此影响会小一些。</translation>
    </message>
    <message>
        <source>a cute little rabbit</source>
        <translation>一只可爱的小兔子</translation>
    </message>
    <message>
        <source>on a sunny meadow</source>
        <translation>在阳光明媚的草地上</translation>
    </message>
    <message>
        <source>a happy penguin</source>
        <translation>一只快乐的企鹅</translation>
    </message>
    <message>
        <source>in the snow</source>
        <translation>在雪地里</translation>
    </message>
    <message>
        <source>a smiling dolphin</source>
        <translation>一只微笑的海豚</translation>
    </message>
    <message>
        <source>in the blue sea</source>
        <translation>在蓝色的大海里</translation>
    </message>
    <message>
        <source>a friendly giraffe</source>
        <translation>一只友好的长颈鹿</translation>
    </message>
    <message>
        <source>a baby elephant</source>
        <translation>一头小象</translation>
    </message>
    <message>
        <source>on the grass</source>
        <translation>在草地上</translation>
    </message>
    <message>
        <source>a hot-air balloon</source>
        <translation>一个热气球</translation>
    </message>
    <message>
        <source>in a blue sky with clouds</source>
        <translation>在飘着白云的蓝天上</translation>
    </message>
    <message>
        <source>Pick an animal or thing above first</source>
        <translation>先在上面选一个动物或东西</translation>
    </message>
    <message>
        <source>Doing what?</source>
        <translation>在做什么？</translation>
    </message>
    <message>
        <source>🎾 Playing</source>
        <translation>🎾 玩球</translation>
    </message>
    <message>
        <source>playing with a ball</source>
        <translation>在玩球</translation>
    </message>
    <message>
        <source>📖 Reading</source>
        <translation>📖 看书</translation>
    </message>
    <message>
        <source>reading a book</source>
        <translation>在看书</translation>
    </message>
    <message>
        <source>🪁 Flying a kite</source>
        <translation>🪁 放风筝</translation>
    </message>
    <message>
        <source>flying a kite</source>
        <translation>在放风筝</translation>
    </message>
    <message>
        <source>🧺 Picnic</source>
        <translation>🧺 野餐</translation>
    </message>
    <message>
        <source>having a picnic</source>
        <translation>在野餐</translation>
    </message>
    <message>
        <source>😴 Sleeping</source>
        <translation>😴 睡觉</translation>
    </message>
    <message>
        <source>sleeping peacefully</source>
        <translation>在安静地睡觉</translation>
    </message>
    <message>
        <source>💃 Dancing</source>
        <translation>💃 跳舞</translation>
    </message>
    <message>
        <source>dancing happily</source>
        <translation>在开心地跳舞</translation>
    </message>
    <message>
        <source>Where?</source>
        <translation>在哪里？</translation>
    </message>
    <message>
        <source>🌼 Meadow</source>
        <translation>🌼 草地</translation>
    </message>
    <message>
        <source>🌊 Sea</source>
        <translation>🌊 大海</translation>
    </message>
    <message>
        <source>❄️ Snow</source>
        <translation>❄️ 雪地</translation>
    </message>
    <message>
        <source>🌸 Garden</source>
        <translation>🌸 花园</translation>
    </message>
    <message>
        <source>in a flower garden</source>
        <translation>在花园里</translation>
    </message>
    <message>
        <source>☁️ Sky</source>
        <translation>☁️ 天空</translation>
    </message>
    <message>
        <source>🌙 Night</source>
        <translation>🌙 夜晚</translation>
    </message>
    <message>
        <source>under a starry night sky</source>
        <translation>在满天星星的夜空下</translation>
    </message>
    <message>
        <source>%1 %2 %3</source>
        <extracomment>%1 is who (a happy penguin), %2 what it does (reading a book, may be empty), %3 where (in the snow)</extracomment>
        <translation>%3，%1%2</translation>
    </message>
    <message>
        <source>A style add-on (LoRA) from the models folder, merged into the model while drawing</source>
        <translation>模型文件夹里的画风插件（LoRA），画画时会合并进模型</translation>
    </message>
    <message>
        <source>Style add-on</source>
        <translation>画风插件</translation>
    </message>
    <message>
        <source>None</source>
        <translation>不用</translation>
    </message>
    <message>
        <source>This model always draws with its own sampler.</source>
        <translation>这个模型总是用它自己的采样器作画。</translation>
    </message>
</context>
<context>
    <name>storybrush::SafetyLogDialog</name>
    <message>
        <source>What the kid-safe check held back</source>
        <translation>儿童安全检查拦下的内容</translation>
    </message>
    <message>
        <source>Only the time and the kind of content are kept: no words and no pictures.</source>
        <translation>这里只记下时间和内容的类别，不保存文字，也不保存图片。</translation>
    </message>
    <message>
        <source>Nothing has been held back.</source>
        <translation>还没有拦下任何内容。</translation>
    </message>
    <message>
        <source>Clear the log</source>
        <translation>清空记录</translation>
    </message>
</context>
<context>
    <name>storybrush::SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Models folder</source>
        <translation>模型文件夹</translation>
    </message>
    <message>
        <source>A folder with .safetensors models, or a ComfyUI or A1111 folder</source>
        <translation>放 .safetensors 模型的文件夹，或者 ComfyUI、A1111 的文件夹</translation>
    </message>
    <message>
        <source>Choose the models folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Automatic (the graphics card when there is one)</source>
        <translation>自动（有显卡就用显卡）</translation>
    </message>
    <message>
        <source>Graphics card (NVIDIA)</source>
        <translation>显卡（NVIDIA）</translation>
    </message>
    <message>
        <source>Processor only</source>
        <translation>只用处理器</translation>
    </message>
    <message>
        <source>Draw with</source>
        <translation>用什么来画</translation>
    </message>
    <message>
        <source>As the system</source>
        <translation>跟系统一样</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source> per second</source>
        <translation> 次/秒</translation>
    </message>
    <message>
        <source>No previews</source>
        <translation>不预览</translation>
    </message>
    <message>
        <source>Previews while drawing</source>
        <translation>画的时候预览</translation>
    </message>
    <message>
        <source>Keep pictures in</source>
        <translation>画保存在</translation>
    </message>
    <message>
        <source>The usual place in your home folder</source>
        <translation>主文件夹里的默认位置</translation>
    </message>
    <message>
        <source>Choose where pictures are kept</source>
        <translation>选择保存画的地方</translation>
    </message>
    <message>
        <source>A new language or pictures folder is used from the next start.</source>
        <translation>新的语言和保存位置会在下次打开时生效。</translation>
    </message>
    <message>
        <source>What was held back…</source>
        <translation>拦下的内容…</translation>
    </message>
</context>
<context>
    <name>storybrush::Studio</name>
    <message>
        <source>Pictures cannot be kept this time: %1</source>
        <translation>这次画的画没法保存：%1</translation>
    </message>
    <message>
        <source>This picture could not be kept: %1</source>
        <translation>这张画没能保存：%1</translation>
    </message>
    <message>
        <source>Change the settings</source>
        <translation>修改设置</translation>
    </message>
    <message numerus="yes">
        <source>Too many wrong tries: please wait %n second(s).</source>
        <translation>
            <numerusform>试错太多次了：请等 %n 秒。</numerusform>
        </translation>
    </message>
    <message>
        <source>That PIN cannot be used: it needs 4 to 12 digits.</source>
        <translation>这个密码不能用：需要 4 到 12 位数字。</translation>
    </message>
    <message numerus="yes">
        <source>That is not the PIN. Please wait %n second(s) before the next try.</source>
        <translation>
            <numerusform>密码不对。请等 %n 秒再试。</numerusform>
        </translation>
    </message>
    <message>
        <source>That is not the PIN.</source>
        <translation>密码不对。</translation>
    </message>
    <message>
        <source>picture</source>
        <translation>图片</translation>
    </message>
    <message>
        <source>words</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>Turn kid mode off</source>
        <translation>关闭儿童模式</translation>
    </message>
</context>
</TS>
