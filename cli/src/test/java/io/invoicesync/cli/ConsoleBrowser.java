package io.invoicesync.cli;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * A real headless Chromium (Debian's {@code chromium} and {@code chromedriver}; {@code .ci/run}
 * installs them when absent) on the console, for the tests of what a clerk does. Screenshots go to
 * {@code target/console-screenshots} for a reviewer.
 */
final class ConsoleBrowser implements AutoCloseable {

  static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  private static final List<String> CHROMIUM = List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome");
  private static final List<String> DRIVER = List.of("/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver");

  private final ChromeDriver driver;
  private final String base;

  /** Why no browser can run here (to skip saying so), or empty. */
  static Optional<String> unavailable() {
    if (binary(CHROMIUM).isEmpty() || binary(DRIVER).isEmpty()) {
      return Optional.of("no Chromium and chromedriver here (" + CHROMIUM.get(0) + ", " + DRIVER.get(0) + "): install Debian's chromium "
          + "and chromium-driver (.ci/run does) to run the console's browser tests");
    }
    return Optional.empty();
  }

  ConsoleBrowser(String base, String language) {
    this.base = base;
    ChromeOptions options = new ChromeOptions();
    options.setBinary(binary(CHROMIUM).orElseThrow());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
        "--lang=" + language);
    options.setExperimentalOption("prefs", java.util.Map.of("intl.accept_languages", language));
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(binary(DRIVER).orElseThrow()))
        .usingAnyFreePort().build();
    this.driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
    driver.manage().timeouts().implicitlyWait(Duration.ofSeconds(2));
  }

  void open(String path) {
    driver.get(base + path);
  }

  String path() {
    return java.net.URI.create(driver.getCurrentUrl()).getPath();
  }

  String url() {
    return driver.getCurrentUrl();
  }

  WebElement find(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  List<WebElement> all(String css) {
    return driver.findElements(By.cssSelector(css));
  }

  String text(String css) {
    return find(css).getText();
  }

  void type(String css, String value) {
    WebElement e = find(css);
    e.clear();
    e.sendKeys(value);
  }

  /** Sets a field's value as a picker would (a date input takes typed keys in the browser's locale's order). */
  void set(String css, String value) {
    driver.executeScript("arguments[0].value = arguments[1]", find(css), value);
  }

  void submit(String formCss) {
    click(formCss + " button[type=submit]");
  }

  /** Clicks and waits for the next page: until the old one is gone (its root element stale) and the new one loaded. */
  void click(String css) {
    WebElement old = driver.findElement(By.tagName("html"));
    find(css).click();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(50)).until(() -> {
      try {
        old.isDisplayed();
        return false;
      } catch (org.openqa.selenium.StaleElementReferenceException gone) {
        return "complete".equals(driver.executeScript("return document.readyState"));
      }
    });
  }

  /** Ticks the checkbox of the first row of {@code rowsCss} whose text contains {@code text}; false when no row does. */
  boolean tick(String rowsCss, String text) {
    for (WebElement row : driver.findElements(By.cssSelector(rowsCss))) {
      if (row.getText().contains(text)) {
        row.findElement(By.cssSelector("input[type=checkbox]")).click();
        return true;
      }
    }
    return false;
  }

  String pageSource() {
    return driver.getPageSource();
  }

  /** The whole page as PNG under target/console-screenshots/{name}.png (the window grown to the page's height). */
  Path screenshot(String name) throws Exception {
    Object height = driver.executeScript("return Math.max(document.body.scrollHeight, document.documentElement.scrollHeight)");
    return shoot(name, new Dimension(1280, Math.min(4000, Math.max(800, ((Number) height).intValue() + 40))));
  }

  /** The page at a phone's width, for the screenshot of how it reads there. */
  Path phoneScreenshot(String name) throws Exception {
    return shoot(name, new Dimension(390, 844));
  }

  /** The window at {@code size}, shot to target/console-screenshots/{name}.png, then back to its usual size. */
  private Path shoot(String name, Dimension size) throws Exception {
    driver.manage().window().setSize(size);
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.createDirectories(SCREENSHOTS);
    Path target = SCREENSHOTS.resolve(name + ".png");
    Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    driver.manage().window().setSize(new Dimension(1280, 1000));
    return target;
  }

  private static Optional<String> binary(List<String> candidates) {
    return candidates.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst();
  }

  @Override
  public void close() {
    driver.quit();
  }
}
