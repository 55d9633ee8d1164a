package io.slurmkube.dra.check;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.InputSource;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * What {@code nvidia-smi -q -x} reports, reduced to the fields the device check compares. Read
 * with the JDK's XML parser alone, independently of the plugin's own parsing of nvidia-smi's
 * CSV and {@code -L} output, so that the two can be held against each other.
 *
 * <p>Only direct children are read (never a search through the tree): {@code <total>} or
 * {@code <uuid>} also occur deeper down, inside other sections or MIG devices.
 *
 * @param driverVersion {@code <driver_version>}, for the report
 * @param gpus the {@code <gpu>} elements in document order, which is nvidia-smi's index order
 */
public record NvidiaSmiXml(String driverVersion, List<XmlGpu> gpus) {

  public NvidiaSmiXml {
    gpus = List.copyOf(gpus);
  }

  /**
   * One {@code <gpu>}.
   *
   * @param index its position in the document, which is its nvidia-smi index
   * @param busId the {@code id} attribute (PCI bus id)
   * @param memoryMiB {@code fb_memory_usage/total}, empty when not a number (N/A)
   * @param migMode {@code mig_mode/current_mig}: Enabled, Disabled, or N/A where MIG is unsupported
   * @param minorNumber {@code minor_number}: N in /dev/nvidiaN; empty when N/A
   */
  public record XmlGpu(int index, String busId, String uuid, String productName, OptionalLong memoryMiB,
      String migMode, Optional<Integer> minorNumber, List<XmlMigDevice> migDevices) {

    public XmlGpu {
      migDevices = List.copyOf(migDevices);
    }

    public boolean migEnabled() {
      return "Enabled".equalsIgnoreCase(migMode);
    }
  }

  /**
   * One {@code <mig_device>}. nvidia-smi names no profile here, and most drivers no UUID either.
   *
   * @param index the MIG device's index on its GPU (the {@code Device N} of {@code nvidia-smi -L})
   * @param uuid {@code <uuid>} where the driver writes one, else empty
   */
  public record XmlMigDevice(int index, String gpuInstanceId, String computeInstanceId, OptionalLong memoryMiB,
      Optional<String> uuid) {}

  private static final Pattern MIB = Pattern.compile("^(\\d+)\\s*MiB$");

  /**
   * Parses the XML.
   *
   * @throws IllegalArgumentException when it is not nvidia-smi's XML log, saying why
   */
  public static NvidiaSmiXml parse(String xml) {
    Element root = document(xml).getDocumentElement();
    if (!root.getTagName().equals("nvidia_smi_log")) {
      throw new IllegalArgumentException("not an nvidia-smi XML log: the root element is <" + root.getTagName() + ">");
    }
    List<XmlGpu> gpus = new ArrayList<>();
    for (Element gpu : children(root, "gpu")) {
      gpus.add(gpu(gpus.size(), gpu));
    }
    return new NvidiaSmiXml(text(root, "driver_version").orElse("unknown"), gpus);
  }

  private static XmlGpu gpu(int index, Element gpu) {
    List<XmlMigDevice> migDevices = new ArrayList<>();
    // With no MIG devices, <mig_devices> holds the text "None" and no elements.
    Optional<Element> migs = child(gpu, "mig_devices");
    if (migs.isPresent()) {
      for (Element mig : children(migs.get(), "mig_device")) {
        migDevices.add(new XmlMigDevice(
            text(mig, "index").map(NvidiaSmiXml::integer).orElseThrow(
                () -> new IllegalArgumentException("a <mig_device> of GPU " + index + " has no <index>")),
            text(mig, "gpu_instance_id").orElse("?"),
            text(mig, "compute_instance_id").orElse("?"),
            memory(mig),
            text(mig, "uuid").filter(u -> !u.equals("N/A"))));
      }
    }
    return new XmlGpu(
        index,
        gpu.getAttribute("id"),
        text(gpu, "uuid").orElse(""),
        text(gpu, "product_name").orElse(""),
        memory(gpu),
        child(gpu, "mig_mode").flatMap(m -> text(m, "current_mig")).orElse("N/A"),
        text(gpu, "minor_number").filter(n -> n.matches("\\d+")).map(Integer::valueOf),
        migDevices);
  }

  private static OptionalLong memory(Element parent) {
    Optional<String> total = child(parent, "fb_memory_usage").flatMap(m -> text(m, "total"));
    if (total.isEmpty()) {
      return OptionalLong.empty();
    }
    Matcher m = MIB.matcher(total.get());
    return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
  }

  private static int integer(String text) {
    try {
      return Integer.parseInt(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("expected a number, got '" + text + "'");
    }
  }

  private static Document document(String xml) {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      // The log starts with <!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">, a file that
      // is nowhere to be found: it must not be fetched, nor any other external entity.
      factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
      factory.setFeature("http://xml.org/sax/features/external-general-entities", false);
      factory.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      // The parser's default handler prints to stderr besides throwing; one exception is enough.
      builder.setErrorHandler(new DefaultHandler());
      return builder.parse(new InputSource(new StringReader(xml)));
    } catch (ParserConfigurationException e) {
      throw new IllegalStateException("the JDK's XML parser cannot be configured", e);
    } catch (SAXException | IOException e) {
      throw new IllegalArgumentException("not well-formed XML: " + e.getMessage(), e);
    }
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        out.add(e);
      }
    }
    return out;
  }

  private static Optional<Element> child(Element parent, String tag) {
    return children(parent, tag).stream().findFirst();
  }

  private static Optional<String> text(Element parent, String tag) {
    return child(parent, tag).map(e -> e.getTextContent().strip());
  }
}
